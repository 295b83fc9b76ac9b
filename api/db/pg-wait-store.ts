import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import type { RunRecord, RunStatus, StepError } from '../../engine/store.js';
import {
  CHILD_RUN_SIGNAL,
  childRunIdsOf,
  type CallableWorkflow,
  type ChildRunResult,
  type DeliveredSignal,
  type OpenWait,
  type SettledWait,
  type WaitRegistration,
  type WaitState,
  type WaitStore,
} from '../../engine/waits.js';
import { isUuid } from './ids.js';

/** Signal kind of `flow.approval` waits; the key is the approval id. */
export const APPROVAL_SIGNAL = 'approval';

const FINISHED = ['succeeded', 'failed', 'cancelled', 'timed_out'];

interface RunLockRow {
  status: RunStatus;
  workflow_id: string;
  version_id: string;
}

/**
 * The engine's WaitStore on Postgres (`run_waits`, migrations/20261127000008_waits.ts). Only runs
 * that wait for a signal touch it: the hot path (runs that never wait) costs nothing here.
 * Every state change of a wait is a conditional UPDATE on `state = 'open'`, so exactly one of
 * racing signals and the wait's timer takes it.
 */
export class PgWaitStore implements WaitStore {
  constructor(private readonly knex: Knex) {}

  async register(run: RunRecord, waits: readonly WaitRegistration[]): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx.raw(
        `INSERT INTO run_waits (id, workspace_id, run_id, node_id, kind, key, match)
         SELECT w."waitId", ?, ?, w."nodeId", w.kind, w.key, w.match
         FROM json_to_recordset(?::json) AS w("waitId" uuid, "nodeId" text, kind text, key text, match jsonb)
         ON CONFLICT (id) DO NOTHING`,
        [run.workspaceId, run.id, JSON.stringify(waits)],
      );
      // Waits on something that may already be over: look at it under a share lock, so either
      // its end is seen here, or it ends after this commits and its signal finds the wait open.
      const ids = waits.map((wait) => wait.waitId);
      for (const wait of waits.filter((item) => item.kind === CHILD_RUN_SIGNAL)) {
        const children = childRunIdsOf(wait.match).filter(isUuid);
        if (children.length === 0) continue;
        const { rows } = await trx.raw<{
          rows: Array<{ id: string; status: RunStatus; output: Json; error: StepError | null }>;
        }>('SELECT id, status, output, error FROM runs WHERE id = ANY(?::uuid[]) ORDER BY id FOR SHARE', [
          children,
        ]);
        const ended = rows.find((child) => FINISHED.includes(child.status));
        if (ended) {
          const payload = {
            runId: ended.id,
            status: ended.status,
            output: ended.output,
            error: ended.error as Json,
          };
          await this.signalIn(trx, [wait.waitId], CHILD_RUN_SIGNAL, wait.key, payload);
        }
      }
      const approvals = waits.filter((wait) => wait.kind === APPROVAL_SIGNAL && isUuid(wait.key));
      if (approvals.length > 0) {
        const { rows } = await trx.raw<{ rows: Array<{ id: string; status: string }> }>(
          'SELECT id, status FROM approvals WHERE id = ANY(?::uuid[]) FOR SHARE',
          [approvals.map((wait) => wait.key)],
        );
        for (const row of rows.filter((approval) => approval.status !== 'pending')) {
          await this.signalIn(trx, ids, APPROVAL_SIGNAL, row.id, { approvalId: row.id, status: row.status });
        }
      }
    });
  }

  private async signalIn(
    trx: Knex.Transaction,
    ids: readonly string[],
    kind: string,
    key: string,
    payload: Json,
  ): Promise<void> {
    await trx.raw(
      `UPDATE run_waits SET state = 'signalled', payload = ?::jsonb, resolved_at = now()
       WHERE id = ANY(?::uuid[]) AND kind = ? AND key = ? AND state = 'open'`,
      [JSON.stringify(payload), [...ids], kind, key],
    );
  }

  async wakeIfSignalled(runId: string): Promise<boolean> {
    const { rows } = await this.knex.raw<{ rows: unknown[] }>(
      `UPDATE runs SET wake_at = now()
       WHERE id = ? AND status = 'waiting' AND EXISTS (
         SELECT 1 FROM run_waits AS w
         JOIN steps AS s ON s.run_id = w.run_id AND s.node_id = w.node_id
         WHERE w.run_id = ? AND w.state = 'signalled' AND s.status = 'waiting' AND s.wait->>'waitId' = w.id::text)
       RETURNING id`,
      [runId, runId],
    );
    return rows.length > 0;
  }

  async findOpen(workspaceId: string, kind: string, key: string): Promise<OpenWait[]> {
    if (!isUuid(workspaceId)) return [];
    const { rows } = await this.knex.raw<{
      rows: Array<{ id: string; run_id: string; node_id: string; match: Json }>;
    }>(
      `SELECT id, run_id, node_id, match FROM run_waits
       WHERE workspace_id = ? AND kind = ? AND key = ? AND state = 'open'
       ORDER BY created_at, id LIMIT 1000`,
      [workspaceId, kind, key],
    );
    return rows.map((row) => ({ waitId: row.id, runId: row.run_id, nodeId: row.node_id, match: row.match }));
  }

  async deliver(waitId: string, payload: Json): Promise<DeliveredSignal | undefined> {
    return this.knex.transaction(async (trx) => {
      const { rows: waits } = await trx.raw<{ rows: Array<{ run_id: string; node_id: string }> }>(
        "SELECT run_id, node_id FROM run_waits WHERE id = ? AND state = 'open'",
        [waitId],
      );
      const wait = waits[0];
      if (!wait) return undefined;
      // The run row first: its suspend commit and this signal are ordered by this lock.
      const { rows: runs } = await trx.raw<{ rows: RunLockRow[] }>(
        'SELECT status, workflow_id, version_id FROM runs WHERE id = ? FOR UPDATE',
        [wait.run_id],
      );
      const run = runs[0];
      if (run && FINISHED.includes(run.status)) {
        await trx.raw(
          "UPDATE run_waits SET state = 'closed', resolved_at = now() WHERE id = ? AND state = 'open'",
          [waitId],
        );
        return undefined;
      }
      const { rows: taken } = await trx.raw<{ rows: unknown[] }>(
        `UPDATE run_waits SET state = 'signalled', payload = ?::jsonb, resolved_at = now()
         WHERE id = ? AND state = 'open' RETURNING id`,
        [JSON.stringify(payload), waitId],
      );
      if (taken.length === 0) return undefined;
      const wake = run?.status === 'waiting';
      if (wake) await trx.raw('UPDATE runs SET wake_at = now() WHERE id = ?', [wait.run_id]);
      return {
        waitId,
        runId: wait.run_id,
        nodeId: wait.node_id,
        workflowId: run?.workflow_id ?? '',
        versionId: run?.version_id ?? '',
        wake,
      };
    });
  }

  async settle(
    runId: string,
    waits: ReadonlyArray<{ waitId: string; timeUp: boolean }>,
  ): Promise<SettledWait[]> {
    return this.knex.transaction(async (trx) => {
      // Locks each wait (after any signal in flight commits) and reads its latest state.
      const { rows } = await trx.raw<{ rows: Array<{ id: string; state: WaitState; payload: Json }> }>(
        'SELECT id, state, payload FROM run_waits WHERE run_id = ? AND id = ANY(?::uuid[]) FOR UPDATE',
        [runId, waits.map((wait) => wait.waitId)],
      );
      const timeUp = new Set(waits.filter((wait) => wait.timeUp).map((wait) => wait.waitId));
      const expire = rows.filter((row) => row.state === 'open' && timeUp.has(row.id)).map((row) => row.id);
      if (expire.length > 0) {
        await trx.raw(
          "UPDATE run_waits SET state = 'timed_out', resolved_at = now() WHERE id = ANY(?::uuid[])",
          [expire],
        );
      }
      return rows.map((row) => ({
        waitId: row.id,
        state: expire.includes(row.id) ? 'timed_out' : row.state,
        payload: row.payload ?? null,
      }));
    });
  }

  async closeRun(runId: string): Promise<void> {
    await this.knex.raw('DELETE FROM run_waits WHERE run_id = ?', [runId]);
  }

  async callableWorkflow(workspaceId: string, workflowId: string): Promise<CallableWorkflow | undefined> {
    if (!isUuid(workspaceId) || !isUuid(workflowId)) return undefined;
    const { rows } = await this.knex.raw<{ rows: Array<{ id: string; version_id: string | null }> }>(
      `SELECT id, CASE WHEN active AND active_version_id IS NOT NULL THEN active_version_id
                       ELSE published_version_id END AS version_id
       FROM workflows WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL`,
      [workflowId, workspaceId],
    );
    const row = rows[0];
    return row?.version_id ? { workflowId: row.id, versionId: row.version_id } : undefined;
  }

  async depthOf(runId: string): Promise<number> {
    if (!isUuid(runId)) return 0;
    const { rows } = await this.knex.raw<{ rows: Array<{ depth: number | null }> }>(
      `WITH RECURSIVE chain(id, parent, depth) AS (
         SELECT id, parent_run_id, 0 FROM runs WHERE id = ?
         UNION ALL
         SELECT r.id, r.parent_run_id, c.depth + 1 FROM runs AS r JOIN chain AS c ON r.id = c.parent
         WHERE c.depth < 100)
       SELECT max(depth)::int AS depth FROM chain`,
      [runId],
    );
    return rows[0]?.depth ?? 0;
  }

  async setParent(childRunId: string, parent: { runId: string; nodeId: string }): Promise<void> {
    await this.knex.raw('UPDATE runs SET parent_run_id = ?, parent_node_id = ? WHERE id = ?', [
      parent.runId,
      parent.nodeId,
      childRunId,
    ]);
  }

  async finishedRuns(runIds: readonly string[]): Promise<ChildRunResult[]> {
    const ids = runIds.filter(isUuid);
    if (ids.length === 0) return [];
    const { rows } = await this.knex.raw<{
      rows: Array<{ id: string; status: RunStatus; output: Json; error: StepError | null }>;
    }>(
      `SELECT id, status, output, error FROM runs WHERE id = ANY(?::uuid[]) AND status IN (${FINISHED.map((s) => `'${s}'`).join(', ')})`,
      [ids],
    );
    return rows.map((row) => ({
      runId: row.id,
      status: row.status,
      output: row.output ?? null,
      error: row.error,
    }));
  }

  async openChildren(runId: string): Promise<string[]> {
    if (!isUuid(runId)) return [];
    const { rows } = await this.knex.raw<{ rows: Array<{ id: string }> }>(
      "SELECT id FROM runs WHERE parent_run_id = ? AND status IN ('queued', 'running', 'waiting')",
      [runId],
    );
    return rows.map((row) => row.id);
  }
}
