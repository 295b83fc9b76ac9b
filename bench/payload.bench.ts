/**
 * A 10 MB JSON payload through five nodes (issue 7): trigger.manual → data.set →
 * code.javascript (returns its input) → logic.if → data.set, through the Runtime directly (as
 * engine.bench.ts does) on a throwaway embedded Postgres and the real sandbox. Wall time per run
 * and the peak RSS of this process (sampled VmRSS; the baseline is taken just before the runs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { Runtime } from '../engine/runtime.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { validateWorkflow } from '../engine/validate.js';
import { openDatabase } from '../api/db/database.js';
import { PgRunStore } from '../api/db/pg-run-store.js';
import { WorkflowRepository } from '../api/db/workflow-repository.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import { createNodeRegistry } from '../nodes/index.js';
import { procStatusMb, rssSampler } from './procs.js';
import { median, type Figure } from './stats.js';

const payloadDocument: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'payload 10 MB',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'tag', type: 'data.set', config: { fields: [{ name: 'stage', value: 'received' }] } },
    { id: 'pass', type: 'code.javascript', config: { source: 'return input' } },
    { id: 'check', type: 'logic.if', config: { condition: { '==': [{ var: 'input.stage' }, 'received'] } } },
    { id: 'done', type: 'data.set', config: { fields: [{ name: 'stage', value: 'done' }] } },
  ],
  edges: [
    { from: 'start', to: 'tag' },
    { from: 'tag', to: 'pass' },
    { from: 'pass', to: 'check' },
    { from: 'check', fromPort: 'true', to: 'done' },
  ],
};

/** About `bytes` of JSON: customer rows. */
function payload(bytes: number, seed: number): { seed: number; rows: unknown[] } {
  const row = (i: number) => ({
    id: i,
    name: `customer ${i}`,
    email: `c${i}@example.com`,
    plan: i % 3 === 0 ? 'professional' : 'starter',
    amount: i * 1.5,
    tags: ['a', 'b'],
  });
  const perRow = JSON.stringify(row(100_000)).length + 1;
  return { seed, rows: Array.from({ length: Math.ceil(bytes / perRow) }, (_, i) => row(i)) };
}

export async function benchPayload(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-payload-'));
  const db = await openDatabase({ dataDir });
  const registry = createNodeRegistry();
  // The sandbox needs room for a 10 MB value (parsed, and copied out again) in the isolate, and
  // more than the default 1 s CPU limit: with it, `return input` on 10 MB times out (finding).
  const sandbox = new IsolateSandbox({ limits: { memoryMb: 512, cpuTimeoutMs: 30_000 } });
  const store = new PgRunStore(db.knex);
  // The default step output limit is 5 MB (REVFLOW_MAX_STEP_OUTPUT_BYTES); this bench raises it.
  const runtime = new Runtime({
    registry,
    store,
    sandbox,
    concurrency: 4,
    maxStepOutputBytes: 32 * 1024 * 1024,
  });
  await runtime.start();
  try {
    const workspace = await createWorkspace(db.knex, { name: 'bench' });
    const valid = validateWorkflow(payloadDocument, registry);
    if (!valid.ok) throw new Error(valid.issues.map((issue) => issue.message).join('; '));
    const workflows = new WorkflowRepository(db.knex);
    const workflow = await workflows.createWorkflow(workspace.id, valid.document);
    const version = await workflows.publish(workflow.id);
    const ids = { workspaceId: workspace.id, workflowId: workflow.id, versionId: version.id };

    const runs = Number(process.env.REVFLOW_BENCH_PAYLOAD_RUNS ?? 1);
    const inputs = Array.from({ length: runs }, (_, i) => i).map((seed) => payload(10 * 1024 * 1024, seed));
    const inputBytes = JSON.stringify(inputs[0]).length;
    if (global.gc) global.gc();
    const baseline = procStatusMb('self', 'VmRSS');
    const rss = rssSampler(() => [process.pid], 20);
    const times: number[] = [];
    for (const input of inputs) {
      const started = performance.now();
      const run = await runtime.startRun({ ...ids, input: input as never });
      const done = await runtime.waitForRun(run.id, { timeoutMs: 120_000 });
      if (done.status !== 'succeeded')
        throw new Error(`payload run ${done.status}: ${JSON.stringify(done.error)}`);
      times.push(performance.now() - started);
    }
    const peak = rss.stop();
    const stored = await db.knex.raw<{ rows: Array<{ bytes: string }> }>(
      `SELECT coalesce(sum(pg_column_size(output)), 0) AS bytes FROM steps
        WHERE run_id = (SELECT id FROM runs ORDER BY created_at DESC LIMIT 1)`,
    );
    const bytes = stored.rows[0]?.bytes ?? '0';
    const perNode = await db.knex.raw<{ rows: Array<{ node_id: string; ms: string }> }>(
      `SELECT node_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS ms
         FROM steps WHERE started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY node_id`,
    );
    const nodeMs = perNode.rows.map((row) => `${row.node_id} ${Number(row.ms).toFixed(0)}`).join(', ');
    return [
      {
        name: `10 MB payload through 5 nodes (${(inputBytes / 2 ** 20).toFixed(1)} MiB JSON; first of ${runs})`,
        value: times[0]!,
        unit: 'ms',
      },
      { name: `10 MB payload through 5 nodes (median of ${runs})`, value: median(times), unit: 'ms' },
      { name: `10 MB payload: step time, median ms per node: ${nodeMs}`, value: Number.NaN, unit: '' },
      { name: '10 MB payload: peak RSS of the process', value: peak, unit: 'MB' },
      {
        name: '10 MB payload: peak RSS above the baseline before the runs',
        value: peak - baseline,
        unit: 'MB',
      },
      {
        name: '10 MB payload: step outputs stored per run (compressed)',
        value: Number(bytes) / 2 ** 20,
        unit: 'MB',
      },
    ];
  } finally {
    await runtime.stop();
    sandbox.dispose();
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
