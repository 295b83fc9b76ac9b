import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * The audit log's hash chain (per workspace): entry n stores `hash = sha256(prev_hash ‖ canonical
 * JSON of entry n)`, so changing, removing or reordering any entry breaks every hash after it.
 * Appends take a per-workspace advisory lock in their transaction, so concurrent writers chain in
 * order. Entries written before the chain existed (no seq) are reported as unchained.
 */
export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface ChainedFields {
  id: string;
  workspace_id: string;
  seq: number;
  actor_ref: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  metadata: unknown;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
}

export function entryHash(prevHash: string, fields: ChainedFields): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(fields)).digest('hex');
}

/** Take the workspace's chain lock for the rest of `trx` and read the last link. */
export async function chainHead(
  trx: Knex.Transaction,
  workspaceId: string,
): Promise<{ seq: number; hash: string }> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`audit:${workspaceId}`]);
  const last = await trx('audit_log')
    .where({ workspace_id: workspaceId })
    .whereNotNull('seq')
    .orderBy('seq', 'desc')
    .first<{ seq: string; hash: string } | undefined>('seq', 'hash');
  return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS };
}

interface StoredRow {
  id: string;
  workspace_id: string;
  seq: string | null;
  prev_hash: string | null;
  hash: string | null;
  actor_ref: string | null;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  metadata: unknown;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  /** Entries from before the chain existed: not covered. */
  unchained: number;
  headHash: string | null;
  /** The first entry that does not verify. */
  brokenAt: { id: string; seq: number | null; action: string; reason: string } | null;
  verifiedAt: string;
}

export async function verifyChain(knex: Knex, workspaceId: string): Promise<ChainReport> {
  const report: ChainReport = {
    ok: true,
    entries: 0,
    unchained: 0,
    headHash: null,
    brokenAt: null,
    verifiedAt: new Date().toISOString(),
  };
  let prev = GENESIS;
  let expectedSeq = 1;
  let lastId = '';
  // Keyset pages in chain order: a workspace's whole log is never held in memory at once.
  for (;;) {
    const rows = await knex('audit_log')
      .where({ workspace_id: workspaceId })
      .whereNotNull('seq')
      .andWhere((q) => {
        if (lastId) q.where('seq', '>', expectedSeq - 1);
      })
      .orderBy('seq', 'asc')
      .limit(1000)
      .select<StoredRow[]>('*');
    if (rows.length === 0) break;
    for (const row of rows) {
      lastId = row.id;
      const seq = Number(row.seq);
      const fail = (reason: string): ChainReport => ({
        ...report,
        ok: false,
        brokenAt: { id: row.id, seq, action: row.action, reason },
      });
      if (seq !== expectedSeq)
        return fail(`expected entry #${expectedSeq}, found #${seq}: an entry was removed`);
      if (row.prev_hash !== prev) return fail('its previous-hash does not match the entry before it');
      const actorRef = row.actor_ref ?? '';
      const userMatches = row.actor_user_id === null || actorRef === `user:${row.actor_user_id}`;
      const keyMatches = row.actor_api_key_id === null || actorRef === `apiKey:${row.actor_api_key_id}`;
      if (!userMatches || !keyMatches) return fail('its actor was changed');
      const hash = entryHash(prev, {
        id: row.id,
        workspace_id: row.workspace_id,
        seq,
        actor_ref: actorRef,
        action: row.action,
        target_type: row.target_type,
        target_id: row.target_id,
        metadata: row.metadata,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: row.created_at.toISOString(),
      });
      if (hash !== row.hash) return fail('its content does not match its hash: the entry was changed');
      prev = hash;
      expectedSeq += 1;
      report.entries += 1;
    }
  }
  report.headHash = report.entries > 0 ? prev : null;
  const [{ count } = { count: 0 }] = await knex('audit_log')
    .where({ workspace_id: workspaceId })
    .whereNull('seq')
    .count<Array<{ count: string | number }>>('* as count');
  report.unchained = Number(count);
  return report;
}
