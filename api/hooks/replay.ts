import type { Knex } from 'knex';
import { SIGNATURE_TOLERANCE_SECONDS } from './signature.js';

export type ReplayVerdict = 'fresh' | 'retry' | 'replayed';

/** Expired rows are swept on every this-many-th check (one indexed DELETE). */
const SWEEP_EVERY = 500;

/**
 * Signed webhook requests seen within the tolerance window, in Postgres so that every API
 * process sees the same set. A signature seen before is a replay — unless both carry the same
 * Idempotency-Key, which is a sender's retry of one delivery and is answered by the
 * Idempotency-Key path (the first run, `Idempotent-Replayed`). The key is not signed, so a
 * replay with another key is still a replay.
 */
export class SignatureReplayGuard {
  private checks = 0;

  constructor(
    private readonly knex: Knex,
    private readonly windowSeconds = SIGNATURE_TOLERANCE_SECONDS * 2,
  ) {}

  async check(
    workflowId: string,
    signature: string,
    idempotencyKey: string | undefined,
  ): Promise<ReplayVerdict> {
    this.checks += 1;
    if (this.checks % SWEEP_EVERY === 0) {
      await this.knex('webhook_signatures').where('expires_at', '<', this.knex.fn.now()).delete();
    }
    const inserted = await this.knex.raw<{ rows: unknown[] }>(
      `INSERT INTO webhook_signatures (workflow_id, signature, idempotency_key, expires_at)
       VALUES (?, ?, ?, now() + (? * interval '1 second'))
       ON CONFLICT (workflow_id, signature) DO UPDATE
         SET idempotency_key = EXCLUDED.idempotency_key, expires_at = EXCLUDED.expires_at
         WHERE webhook_signatures.expires_at < now()
       RETURNING 1`,
      [workflowId, signature, idempotencyKey ?? null, this.windowSeconds],
    );
    if (inserted.rows.length > 0) return 'fresh';
    const seen = await this.knex('webhook_signatures')
      .where({ workflow_id: workflowId, signature })
      .first<{ idempotency_key: string | null } | undefined>('idempotency_key');
    return idempotencyKey !== undefined && seen?.idempotency_key === idempotencyKey ? 'retry' : 'replayed';
  }

  /** A request that was refused after its signature was remembered: its sender may send it again. */
  async forget(workflowId: string, signature: string): Promise<void> {
    await this.knex('webhook_signatures').where({ workflow_id: workflowId, signature }).delete();
  }
}
