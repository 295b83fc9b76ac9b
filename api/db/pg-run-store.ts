// Over 400 lines: the Postgres side of the engine's RunStore contract (runs, steps, claims, takeovers, batched commits) in one class, as engine/store.ts defines it.
import type { Knex } from 'knex';
import os from 'node:os';
import type { WorkflowDocument } from '../../engine/document.js';
import type {
  ClaimedRun,
  NewRun,
  RecoverableRun,
  RunPatch,
  RunRecord,
  RunStatus,
  RunStore,
  StepRecord,
  WorkflowVersionRecord,
} from '../../engine/store.js';
import { Batcher, type BatcherStats, type Outcome } from './batcher.js';
import { isUuid, uuidv7 } from './ids.js';
import { query } from './pg-connection.js';
import { PgWaitStore } from './pg-wait-store.js';
import {
  RUN_COLUMN_NAMES,
  STEP_COLUMN_NAMES,
  columnList,
  runFromRow,
  stepFromRow,
  payloadRecordText,
  type RunRow,
  type StepRow,
} from './run-rows.js';

/**
 * The engine's RunStore on Postgres (DESIGN §5), built for throughput: every write is one
 * statement (CTEs make it one transaction), sent as a named prepared statement straight to a
 * pooled `pg` connection, and concurrent `createRun`, `claimRun` and `commit` calls are
 * grouped into one statement each (group commit; see Batcher). Every caller's promise settles
 * only after its statement committed; `synchronous_commit` stays on.
 */

export interface PgRunStoreOptions {
  /** A queued run nobody picked up for this long is recoverable. Default 5 s. */
  queuedGraceMs?: number;
  /** Default `staleAfterMs` for claimRun. Default 30 s. */
  staleAfterMs?: number;
  /** Most calls grouped into one statement. Default 500. */
  maxBatch?: number;
}

export interface PgRunStoreStats {
  createRun: BatcherStats;
  claimRun: BatcherStats;
  commit: BatcherStats;
  getRun: BatcherStats;
  /** Write transactions executed by the batchers, including per-call retries after a failed batch. */
  transactions: number;
}

const RUN_COLUMNS = columnList(RUN_COLUMN_NAMES);
const RUN_COLUMNS_T = columnList(RUN_COLUMN_NAMES, 't');
const STEP_COLUMNS = columnList(STEP_COLUMN_NAMES);

/**
 * StepRecord fields (camelCase JSON keys) as columns: one JSON.stringify of the records feeds
 * Postgres. Parameters are `json`, not `jsonb`: json is only validated, then each value is
 * parsed once into its column, where a jsonb parameter would be parsed twice.
 */
const STEP_RECORDSET = `json_to_recordset($STEPS::json) AS x("runId" uuid, "nodeId" text, status text,
  attempts int, input jsonb, output jsonb, ports text[], error jsonb, logs jsonb, "startedAt" timestamptz,
  "finishedAt" timestamptz, wait jsonb, interruptions int)`;
const STEP_VALUES = `x."runId", x."nodeId", x.status, COALESCE(x.attempts, 0), x.input, x.output,
  COALESCE(x.ports, '{}'), x.error, COALESCE(x.logs, '[]'), x."startedAt", x."finishedAt", x.wait,
  COALESCE(x.interruptions, 0)`;

const CREATE_SQL = `
WITH new_runs AS (
  INSERT INTO runs (id, workspace_id, workflow_id, version_id, status, trigger_node_id, input, deadline_at,
    retry_of, created_at, started_at, executor_id, executed_by, output, error, finished_at, wake_at)
  SELECT r.id, r."workspaceId", r."workflowId", r."versionId", r.status, r."triggerNodeId", r.input,
    r."deadlineAt", r."retryOf", r."createdAt", r."startedAt", r."executorId", r."executorId", r.output, r.error,
    r."finishedAt", r."wakeAt"
  FROM json_to_recordset($1::json) AS r(id uuid, "workspaceId" uuid, "workflowId" uuid, "versionId" uuid,
    status text, "triggerNodeId" text, input jsonb, "deadlineAt" timestamptz, "retryOf" uuid,
    "createdAt" timestamptz, "startedAt" timestamptz, "executorId" text, output jsonb, error jsonb,
    "finishedAt" timestamptz, "wakeAt" timestamptz)
  RETURNING 1
), copied_steps AS (
  INSERT INTO steps (${STEP_COLUMNS})
  SELECT ${STEP_VALUES} FROM ${STEP_RECORDSET.replace('$STEPS', '$2')}
  RETURNING 1
)
SELECT (SELECT count(*) FROM new_runs)::int AS runs, (SELECT count(*) FROM copied_steps)::int AS steps`;

// A patch key that is present sets the column, even to null; an absent key keeps it.
const COMMIT_SQL = `
WITH upserted AS (
  INSERT INTO steps (${STEP_COLUMNS})
  SELECT ${STEP_VALUES} FROM ${STEP_RECORDSET.replace('$STEPS', '$1')}
  ON CONFLICT (run_id, node_id) DO UPDATE SET
    status = EXCLUDED.status, attempts = EXCLUDED.attempts, input = EXCLUDED.input,
    output = EXCLUDED.output, ports = EXCLUDED.ports, error = EXCLUDED.error, logs = EXCLUDED.logs,
    started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, wait = EXCLUDED.wait,
    interruptions = EXCLUDED.interruptions
  RETURNING 1
), patched AS (
  UPDATE runs AS t SET
    status = COALESCE(p.v->>'status', t.status),
    error = CASE WHEN p.v ? 'error' THEN NULLIF(p.v->'error', 'null') ELSE t.error END,
    output = CASE WHEN p.v ? 'output' THEN NULLIF(p.v->'output', 'null') ELSE t.output END,
    started_at = CASE WHEN p.v ? 'startedAt' THEN (p.v->>'startedAt')::timestamptz ELSE t.started_at END,
    finished_at = CASE WHEN p.v ? 'finishedAt' THEN (p.v->>'finishedAt')::timestamptz ELSE t.finished_at END,
    wake_at = CASE WHEN p.v ? 'wakeAt' THEN (p.v->>'wakeAt')::timestamptz ELSE t.wake_at END,
    executor_id = CASE WHEN p.v ? 'executorId' THEN p.v->>'executorId' ELSE t.executor_id END
  FROM jsonb_array_elements($2::jsonb) AS p(v)
  -- The id list lets the planner fetch the rows by primary key; joining on the JSON alone
  -- gets a hash join over a sequential scan of all runs.
  WHERE t.id = ANY($3::uuid[]) AND t.id = (p.v->>'id')::uuid
  RETURNING t.id
)
SELECT (SELECT count(*) FROM upserted)::int AS steps, ARRAY(SELECT id::text FROM patched) AS patched`;

/** Who may take a run: see RunStore.claimRun. A waiting run past its deadline is due too (to time out). */
const CLAIM_SQL = `
WITH requests AS (
  SELECT * FROM json_to_recordset($1::json) AS c(id uuid, "executorId" text, "staleAfterMs" float8)
), claimed AS (
  UPDATE runs AS t SET status = 'running', executor_id = c."executorId", executed_by = c."executorId", started_at = COALESCE(t.started_at, now()),
    -- Taking a running run from another executor means that one died while running it.
    takeovers = t.takeovers + CASE WHEN t.status = 'running' AND t.executor_id IS DISTINCT FROM c."executorId"
      THEN 1 ELSE 0 END
  FROM requests AS c
  WHERE t.id = ANY($2::uuid[]) AND t.id = c.id AND (
    t.status = 'queued'
    OR (t.status = 'waiting' AND LEAST(t.wake_at, t.deadline_at) <= now())
    OR (t.status = 'running' AND (
      t.executor_id IS NULL
      OR t.executor_id = c."executorId"
      OR NOT EXISTS (
        SELECT 1 FROM executors AS e
        WHERE e.id = t.executor_id AND e.last_seen_at > now() - c."staleAfterMs" * interval '1 millisecond'))))
  RETURNING ${RUN_COLUMNS_T}, t.takeovers
)
SELECT claimed.*,
  (SELECT COALESCE(json_agg(s), '[]'::json) FROM steps AS s WHERE s.run_id = claimed.id) AS steps
FROM claimed`;

const CANCEL_SQL = `
WITH cancelled AS (
  UPDATE runs AS t SET
    cancel_requested = true,
    status = CASE WHEN t.status IN ('queued', 'waiting') THEN 'cancelled' ELSE t.status END,
    finished_at = CASE WHEN t.status IN ('queued', 'waiting') THEN now() ELSE t.finished_at END,
    error = CASE WHEN t.status IN ('queued', 'waiting')
      THEN '{"message":"The run was cancelled","code":"cancelled"}'::jsonb ELSE t.error END,
    executor_id = CASE WHEN t.status IN ('queued', 'waiting') THEN NULL ELSE t.executor_id END
  WHERE t.id = $1 AND t.status IN ('queued', 'waiting', 'running')
  RETURNING ${RUN_COLUMNS_T}
), closed_steps AS (
  UPDATE steps AS s SET status = 'cancelled', finished_at = now()
  FROM cancelled AS c
  WHERE s.run_id = c.id AND c.status = 'cancelled' AND s.status IN ('waiting', 'running')
)
SELECT * FROM cancelled
UNION ALL
SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM cancelled)`;

// Three index-friendly branches, oldest first overall. Running and queued runs are few (they
// are being worked on); waiting runs can be many, so only due ones are read (runs_waiting_due_idx).
const RECOVERABLE_SQL = `
SELECT id, workspace_id, status FROM (
  (SELECT r.id, r.workspace_id, r.status, r.created_at FROM runs AS r
   WHERE r.status = 'running' AND (r.executor_id IS NULL OR NOT EXISTS (
     SELECT 1 FROM executors AS e
     WHERE e.id = r.executor_id AND e.last_seen_at > $1::timestamptz - $2::float8 * interval '1 millisecond'))
   ORDER BY r.created_at, r.id LIMIT $4)
  UNION ALL
  (SELECT r.id, r.workspace_id, r.status, r.created_at FROM runs AS r
   WHERE r.status = 'waiting' AND LEAST(r.wake_at, r.deadline_at) <= $1::timestamptz
   ORDER BY LEAST(r.wake_at, r.deadline_at) LIMIT $4)
  UNION ALL
  (SELECT r.id, r.workspace_id, r.status, r.created_at FROM runs AS r
   WHERE r.status = 'queued' AND r.created_at <= $1::timestamptz - $3::float8 * interval '1 millisecond'
   ORDER BY r.created_at, r.id LIMIT $4)
) AS due
ORDER BY created_at, id
LIMIT $4`;

// Executor ids are per process; rows of executors gone for a day are dropped on the way.
const HEARTBEAT_SQL = `
WITH gone AS (DELETE FROM executors WHERE last_seen_at < now() - interval '1 day' AND id <> $1)
INSERT INTO executors (id, last_seen_at, started_at, host, pid) VALUES ($1, now(), now(), $2, $3)
ON CONFLICT (id) DO UPDATE SET last_seen_at = now()`;

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`Run ${runId} does not exist`);
    this.name = 'RunNotFoundError';
  }
}

/** SQLSTATE classes caused by one call's data: 22 data exception, 23 constraint, 40 rollback (deadlock). */
function isPerCallError(error: unknown): boolean {
  if (error instanceof RunNotFoundError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ['22', '23', '40'].includes(code.slice(0, 2));
}

interface CreateItem {
  record: RunRecord;
  runJson: string;
  stepsJson: string[];
}

interface CommitItem {
  runId: string;
  /** Steps serialised when commit() was called: later changes by the caller are not picked up. */
  steps: Array<{ key: string; json: string }>;
  patch: RunPatch;
}

interface ClaimItem {
  runId: string;
  executorId: string;
  staleAfterMs: number;
}

export class PgRunStore implements RunStore {
  private readonly creates: Batcher<CreateItem, RunRecord>;
  private readonly claims: Batcher<ClaimItem, ClaimedRun | undefined>;
  private readonly commits: Batcher<CommitItem, void>;
  private readonly runReads: Batcher<string, RunRecord | undefined>;
  private transactions = 0;
  private readonly queuedGraceMs: number;
  private readonly staleAfterMs: number;
  /** Signal waits and sub-workflow parentage (engine/waits.ts); only waiting runs use it. */
  readonly waits: PgWaitStore;

  constructor(
    private readonly knex: Knex,
    options: PgRunStoreOptions = {},
  ) {
    this.queuedGraceMs = options.queuedGraceMs ?? 5_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.waits = new PgWaitStore(knex);
    const batch = { maxBatch: options.maxBatch ?? 500 };
    this.creates = new Batcher((items) => this.flushCreates(items), batch);
    this.claims = new Batcher((items) => this.flushClaims(items), batch);
    // One commit flush at a time: two commits of the same run must not race in two transactions.
    this.commits = new Batcher((items) => this.flushCommits(items), { ...batch, maxInFlight: 1 });
    // Reads are grouped too (waitForRun reads every run): one round trip for many callers.
    this.runReads = new Batcher((ids) => this.readRuns(ids), { ...batch, maxInFlight: 2 });
  }

  stats(): PgRunStoreStats {
    return {
      createRun: { ...this.creates.stats },
      claimRun: { ...this.claims.stats },
      commit: { ...this.commits.stats },
      getRun: { ...this.runReads.stats },
      transactions: this.transactions,
    };
  }

  /** Wait for queued and in-flight writes, e.g. before destroying the pool. */
  async drain(): Promise<void> {
    await Promise.all([this.creates.idle(), this.claims.idle(), this.commits.idle(), this.runReads.idle()]);
  }

  async getVersion(versionId: string): Promise<WorkflowVersionRecord | undefined> {
    if (!isUuid(versionId)) return undefined;
    const rows = await query<{
      id: string;
      workflow_id: string;
      workspace_id: string;
      number: number;
      document: WorkflowDocument;
    }>(this.knex, {
      name: 'revflow_get_version',
      text: 'SELECT id, workflow_id, workspace_id, number, document FROM workflow_versions WHERE id = $1',
      values: [versionId],
    });
    const row = rows[0];
    return (
      row && {
        id: row.id,
        workflowId: row.workflow_id,
        workspaceId: row.workspace_id,
        number: row.number,
        document: row.document,
      }
    );
  }

  createRun(run: NewRun): Promise<RunRecord> {
    try {
      const now = run.createdAt ?? new Date();
      const id = run.id ?? uuidv7(now.getTime());
      const held = run.claimFor !== undefined;
      const record: RunRecord = {
        id,
        workspaceId: run.workspaceId,
        workflowId: run.workflowId,
        versionId: run.versionId,
        status: held ? 'running' : 'queued',
        triggerNodeId: run.triggerNodeId,
        input: run.input,
        error: null,
        output: null,
        createdAt: now,
        startedAt: held ? now : null,
        finishedAt: null,
        deadlineAt: run.deadlineAt,
        wakeAt: null,
        executorId: run.claimFor ?? null,
        cancelRequested: false,
        retryOf: run.retryOf ?? null,
        ...run.state,
      };
      return this.creates.add({
        record,
        runJson: payloadRecordText(record),
        // Copied steps come from another run: they are re-addressed to this one.
        stepsJson: (run.steps ?? []).map((step) => payloadRecordText(step, { runId: id })),
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  claimRun(
    runId: string,
    executorId: string,
    options: { staleAfterMs?: number } = {},
  ): Promise<ClaimedRun | undefined> {
    if (!isUuid(runId)) return Promise.resolve(undefined);
    return this.claims.add({ runId, executorId, staleAfterMs: options.staleAfterMs ?? this.staleAfterMs });
  }

  commit(runId: string, steps: readonly StepRecord[], patch: RunPatch): Promise<void> {
    try {
      return this.commits.add({
        runId,
        steps: steps.map((step) => ({
          key: `${runId}\u0000${step.nodeId}`,
          json: payloadRecordText(step, step.runId === runId ? undefined : { runId }),
        })),
        patch: { ...patch },
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    if (!isUuid(runId)) return Promise.resolve(undefined);
    return this.runReads.add(runId);
  }

  async getSteps(runId: string): Promise<StepRecord[]> {
    if (!isUuid(runId)) return [];
    const rows = await query<StepRow>(this.knex, {
      name: 'revflow_get_steps',
      text: `SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY started_at NULLS LAST, node_id`,
      values: [runId],
    });
    return rows.map(stepFromRow);
  }

  async requestCancel(runId: string): Promise<RunRecord | undefined> {
    if (!isUuid(runId)) return undefined;
    const rows = await query<RunRow>(this.knex, {
      name: 'revflow_cancel_run',
      text: CANCEL_SQL,
      values: [runId],
    });
    return rows[0] && runFromRow(rows[0]);
  }

  async heartbeat(executorId: string): Promise<void> {
    await query(this.knex, {
      name: 'revflow_heartbeat',
      text: HEARTBEAT_SQL,
      values: [executorId, os.hostname(), process.pid],
    });
  }

  async findRecoverableRuns(options: {
    staleAfterMs: number;
    now: Date;
    limit: number;
  }): Promise<RecoverableRun[]> {
    const rows = await query<{ id: string; workspace_id: string; status: RunStatus }>(this.knex, {
      name: 'revflow_recoverable_runs',
      text: RECOVERABLE_SQL,
      values: [options.now, options.staleAfterMs, this.queuedGraceMs, options.limit],
    });
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id, status: row.status }));
  }

  // --- batched writes ---------------------------------------------------------------------

  /**
   * Run a batch as one statement; if it fails because of what one call carried (a constraint,
   * bad data, a missing run) or a deadlock, run each call alone so only the bad one fails.
   * Every statement is atomic, so re-running a failed batch is safe. Other failures (the
   * database is unreachable) fail the whole batch at once rather than once per call.
   */
  private async flushIsolated<I, R>(items: I[], run: (items: I[]) => Promise<R[]>): Promise<Outcome<R>[]> {
    try {
      this.transactions += 1;
      return (await run(items)).map((value) => ({ ok: true, value }));
    } catch (error) {
      if (items.length === 1 || !isPerCallError(error)) return items.map(() => ({ ok: false, error }));
    }
    const outcomes: Outcome<R>[] = [];
    for (const item of items) {
      try {
        this.transactions += 1;
        const [value] = await run([item]);
        outcomes.push({ ok: true, value: value as R });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  private flushCreates(items: CreateItem[]): Promise<Outcome<RunRecord>[]> {
    return this.flushIsolated(items, async (batch) => {
      const steps = batch.flatMap((item) => item.stepsJson);
      await query(this.knex, {
        name: 'revflow_create_runs',
        text: CREATE_SQL,
        values: [`[${batch.map((item) => item.runJson).join(',')}]`, `[${steps.join(',')}]`],
      });
      return batch.map((item) => item.record);
    });
  }

  private flushCommits(items: CommitItem[]): Promise<Outcome<void>[]> {
    return this.flushIsolated(items, async (batch) => {
      // Later calls win: a step committed twice in one batch is written once, patches of one
      // run are merged in call order (ON CONFLICT and UPDATE ... FROM take each row once).
      const steps = new Map<string, string>();
      const patches = new Map<string, RunPatch & { id: string }>();
      for (const item of batch) {
        for (const step of item.steps) steps.set(step.key, step.json);
        if (Object.values(item.patch).some((value) => value !== undefined)) {
          const merged = patches.get(item.runId);
          if (merged) Object.assign(merged, item.patch);
          else patches.set(item.runId, { id: item.runId, ...item.patch });
        }
      }
      const rows = await query<{ steps: number; patched: string[] }>(this.knex, {
        name: 'revflow_commit',
        text: COMMIT_SQL,
        values: [
          `[${[...steps.values()].join(',')}]`,
          `[${[...patches.values()].map((patch) => payloadRecordText(patch)).join(',')}]`,
          [...patches.keys()],
        ],
      });
      const patched = new Set(rows[0]?.patched ?? []);
      const missing = [...patches.keys()].find((runId) => !patched.has(runId));
      // Patching a missing run changes nothing and raises nothing: make it fail. In a batch this
      // sends every call down the one-by-one path (all idempotent), where only that call fails.
      if (missing !== undefined) throw new RunNotFoundError(missing);
      return batch.map(() => undefined);
    });
  }

  private async readRuns(ids: string[]): Promise<Outcome<RunRecord | undefined>[]> {
    try {
      const rows = await query<RunRow>(this.knex, {
        name: 'revflow_get_runs',
        text: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ANY($1::uuid[])`,
        values: [ids],
      });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => {
        const row = byId.get(id);
        return { ok: true, value: row && runFromRow(row) };
      });
    } catch (error) {
      return ids.map(() => ({ ok: false, error }));
    }
  }

  private flushClaims(items: ClaimItem[]): Promise<Outcome<ClaimedRun | undefined>[]> {
    return this.flushIsolated(items, async (batch) => {
      const rows = await query<RunRow & { steps: StepRow[]; takeovers: number }>(this.knex, {
        name: 'revflow_claim_runs',
        text: CLAIM_SQL,
        values: [
          JSON.stringify(
            batch.map((item) => ({
              id: item.runId,
              executorId: item.executorId,
              staleAfterMs: item.staleAfterMs,
            })),
          ),
          batch.map((item) => item.runId),
        ],
      });
      const claimed = new Map(rows.map((row) => [row.id, row]));
      return batch.map((item) => {
        const row = claimed.get(item.runId);
        // Two executors asking for one run in one batch: only the one it went to gets it.
        if (!row || row.executor_id !== item.executorId) return undefined;
        const run = runFromRow(row);
        // Only a taken-over run carries the count (engine/execution.ts then marks each step started).
        if (row.takeovers > 0) Object.assign(run, { takeovers: row.takeovers });
        return { run, steps: row.steps.map(stepFromRow) };
      });
    });
  }
}
