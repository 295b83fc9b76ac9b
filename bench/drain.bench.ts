/**
 * 10,000 queued runs drained (issue 7). The runs of a small workflow (trigger.manual → data.set
 * → logic.if → data.set) are first created queued (not claimed), then handed to the in-process
 * dispatcher all at once and executed with the default executor concurrency; we time the drain
 * and count what Postgres wrote: rows in runs + steps, and commits (pg_stat_database.xact_commit
 * of the database, which includes every other statement the engine sends in autocommit).
 * The cluster is a throwaway embedded one with the default (durable) settings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { finishedRunStatuses } from '../engine/store.js';
import { Runtime } from '../engine/runtime.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { validateWorkflow } from '../engine/validate.js';
import { openDatabase } from '../api/db/database.js';
import { PgRunStore } from '../api/db/pg-run-store.js';
import { WorkflowRepository } from '../api/db/workflow-repository.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import { createNodeRegistry } from '../nodes/index.js';
import type { Figure } from './stats.js';

const drainDocument: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'drain',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    {
      id: 'shape',
      type: 'data.set',
      config: { fields: [{ name: 'total', value: '{{ input.qty * input.price }}' }] },
    },
    { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.total' }, 100] } } },
    { id: 'mark', type: 'data.set', config: { fields: [{ name: 'big', value: true }] } },
  ],
  edges: [
    { from: 'start', to: 'shape' },
    { from: 'shape', to: 'big' },
    { from: 'big', fromPort: 'true', to: 'mark' },
  ],
};

async function commits(knex: Knex): Promise<number> {
  // Statistics are flushed by backends at most once a second (PG 15+: stats_fetch_consistency);
  // ask for a fresh snapshot.
  await knex.raw('SELECT pg_stat_clear_snapshot()');
  const result = await knex.raw<{ rows: Array<{ xact_commit: string }> }>(
    'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(result.rows[0]!.xact_commit);
}

async function walBytes(knex: Knex): Promise<number> {
  const result = await knex.raw<{ rows: Array<{ bytes: string }> }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS bytes`,
  );
  return Number(result.rows[0]!.bytes);
}

async function settleStats(): Promise<void> {
  // A backend flushes its counters at most once a second, and an idle one that flushed less
  // than 1 s ago waits PGSTAT_IDLE_INTERVAL (10 s): wait that out so the deltas are complete.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
}

/** The next transaction id: its delta counts transactions that wrote (read-only ones get none). */
async function nextXid(knex: Knex): Promise<number> {
  const result = await knex.raw<{ rows: Array<{ xid: string }> }>(
    'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid',
  );
  return Number(result.rows[0]!.xid);
}

async function count(knex: Knex, table: string): Promise<number> {
  const [{ n }] = (await knex(table).count('* as n')) as unknown as [{ n: string }];
  return Number(n);
}

export async function benchDrain(): Promise<Figure[]> {
  const total = Number(process.env.REVFLOW_BENCH_DRAIN_RUNS ?? 10_000);
  const concurrency = Number(process.env.REVFLOW_EXECUTOR_CONCURRENCY ?? 64);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-drain-'));
  const db = await openDatabase({ dataDir });
  const registry = createNodeRegistry();
  const sandbox = new IsolateSandbox();
  const store = new PgRunStore(db.knex);
  // A long sweep interval: the sweeper must not hand the queued runs out before we do.
  const runtime = new Runtime({ registry, store, sandbox, concurrency, sweepIntervalMs: 3_600_000 });
  await runtime.start();
  try {
    const workspace = await createWorkspace(db.knex, { name: 'bench' });
    const valid = validateWorkflow(drainDocument, registry);
    if (!valid.ok) throw new Error(valid.issues.map((issue) => issue.message).join('; '));
    const workflows = new WorkflowRepository(db.knex);
    const workflow = await workflows.createWorkflow(workspace.id, valid.document);
    const version = await workflows.publish(workflow.id);
    const ids = { workspaceId: workspace.id, workflowId: workflow.id, versionId: version.id };

    // 1. Enqueue: create the runs queued, 32 at a time.
    const xidBeforeCreate = await nextXid(db.knex);
    const createStarted = performance.now();
    const runIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          const i = next++;
          const run = await runtime.engine.createRun({
            ...ids,
            input: { qty: 3, price: 40 + (i % 50) },
            claim: false,
          });
          runIds.push(run.id);
        }
      }),
    );
    const createMs = performance.now() - createStarted;
    const xidAfterCreate = await nextXid(db.knex);
    const runRows = await count(db.knex, 'runs');
    const stepRowsBefore = await count(db.knex, 'steps');

    // 2. Drain: dispatch every queued run; count finished runs from the engine's events.
    let finished = 0;
    let failed = 0;
    let resolveAll: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (resolveAll = resolve));
    const unsubscribe = runtime.subscribe((event) => {
      if (event.type !== 'run' || !finishedRunStatuses.has(event.run.status)) return;
      finished += 1;
      if (event.run.status !== 'succeeded') failed += 1;
      if (finished === total) resolveAll();
    });
    await settleStats();
    const beforeDrain = await commits(db.knex);
    const walBefore = await walBytes(db.knex);
    const xidBeforeDrain = await nextXid(db.knex);
    const cpuStart = process.cpuUsage();
    const drainStarted = performance.now();
    for (const runId of runIds) {
      await runtime.dispatcher.dispatch({ runId, ...ids, reason: 'start' });
    }
    const timeout = setTimeout(() => resolveAll(), 180_000);
    await allDone;
    clearTimeout(timeout);
    const drainMs = performance.now() - drainStarted;
    const cpu = process.cpuUsage(cpuStart);
    unsubscribe();
    if (finished < total) throw new Error(`only ${finished} of ${total} runs finished in 180 s`);
    const xidAfterDrain = await nextXid(db.knex);
    await settleStats();
    const afterDrain = await commits(db.knex);
    const stepRows = (await count(db.knex, 'steps')) - stepRowsBefore;
    const walAfter = await walBytes(db.knex);

    return [
      {
        name: `enqueue ${total} runs (create queued, 32 at a time)`,
        value: (total / createMs) * 1000,
        unit: 'runs/s',
      },
      {
        name: `drain ${total} queued runs (4 nodes, executor concurrency ${concurrency})`,
        value: (total / drainMs) * 1000,
        unit: 'runs/s',
      },
      { name: 'drain: runs not succeeded', value: failed, unit: '' },
      {
        name: 'drain: bench-process CPU per run (engine + pg client + sandbox)',
        value: (cpu.user + cpu.system) / 1000 / total,
        unit: 'ms',
      },
      { name: 'Postgres rows per run: runs + steps', value: (runRows + stepRows) / total, unit: 'rows' },
      { name: 'Postgres rows per run: steps', value: stepRows / total, unit: 'rows' },
      {
        name: 'Postgres write transactions per run: enqueue (xid delta)',
        value: (xidAfterCreate - xidBeforeCreate) / total,
        unit: 'xacts',
      },
      {
        name: 'Postgres write transactions per run: drain (xid delta)',
        value: (xidAfterDrain - xidBeforeDrain) / total,
        unit: 'xacts',
      },
      {
        name: 'Postgres commits per run: drain (xact_commit delta, read-only ones included)',
        value: (afterDrain - beforeDrain) / total,
        unit: 'commits',
      },
      {
        name: 'Postgres WAL written per run: drain',
        value: (walAfter - walBefore) / total / 1024,
        unit: 'KiB',
      },
    ];
  } finally {
    await runtime.stop();
    sandbox.dispose();
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
