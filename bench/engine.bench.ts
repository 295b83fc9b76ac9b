/**
 * Engine figures without HTTP: overhead per pure step and per durable W1 run, on a real
 * Postgres (a throwaway embedded cluster) and the real sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { RunObservability } from '../api/observability/run-observer.js';
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
import { median, percentile, type Figure } from './stats.js';

export const w1Document: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'W1',
  nodes: [
    { id: 'hook', type: 'trigger.webhook', config: { path: 'w1', responseMode: 'respondNode' } },
    {
      id: 'shape',
      type: 'data.set',
      config: { fields: [{ name: 'total', value: '{{ input.body.qty * input.body.price }}' }] },
    },
    { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.total' }, 100] } } },
    {
      id: 'score',
      type: 'code.javascript',
      config: { source: 'return { total: input.total, tier: input.total > 500 ? "gold" : "silver" }' },
    },
    { id: 'reply', type: 'webhook.respond', config: { status: 200 } },
  ],
  edges: [
    { from: 'hook', to: 'shape' },
    { from: 'shape', to: 'big' },
    { from: 'big', fromPort: 'true', to: 'score' },
    { from: 'score', to: 'reply' },
  ],
};

function chain(length: number): WorkflowDocumentInput {
  const nodes: WorkflowDocumentInput['nodes'] = [{ id: 'start', type: 'trigger.manual', config: {} }];
  const edges: WorkflowDocumentInput['edges'] = [];
  for (let i = 0; i < length; i += 1) {
    nodes.push({ id: `set${i}`, type: 'data.set', config: { fields: [{ name: `f${i}`, value: i }] } });
    edges.push({ from: i === 0 ? 'start' : `set${i - 1}`, to: `set${i}` });
  }
  return { schemaVersion: 1, name: `chain ${length}`, nodes, edges };
}

export async function benchEngine(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-bench-'));
  const db = await openDatabase({ dataDir });
  const registry = createNodeRegistry();
  const sandbox = new IsolateSandbox();
  const store = new PgRunStore(db.knex);
  // REVFLOW_BENCH_OBSERVER=1: with the metrics/log observer of api/observability (tracing off).
  const observer =
    process.env.REVFLOW_BENCH_OBSERVER === '1'
      ? new RunObservability({ logger: { info: () => undefined, warn: () => undefined } })
      : undefined;
  const runtime = new Runtime({ registry, store, sandbox, concurrency: 256, ...(observer && { observer }) });
  await runtime.start();
  const workflows = new WorkflowRepository(db.knex);
  const workspace = await createWorkspace(db.knex, { name: 'bench' });
  const publish = async (document: WorkflowDocumentInput) => {
    const valid = validateWorkflow(document, registry);
    if (!valid.ok) throw new Error(valid.issues.map((issue) => issue.message).join('; '));
    const workflow = await workflows.createWorkflow(workspace.id, valid.document);
    const version = await workflows.publish(workflow.id);
    return { workflowId: workflow.id, versionId: version.id };
  };
  const runOnce = async (ids: { workflowId: string; versionId: string }, input: unknown): Promise<number> => {
    const started = performance.now();
    // As a synchronous webhook runs it: executed at once, stored by its first commit.
    const run = await runtime.startRun(
      { workspaceId: workspace.id, ...ids, input: input as never },
      { deferCreate: true },
    );
    const done = await runtime.waitForRun(run.id);
    await runtime.engine.persist(run.id);
    if (done.status !== 'succeeded')
      throw new Error(`bench run ${done.status}: ${JSON.stringify(done.error)}`);
    return performance.now() - started;
  };
  const sequential = async (
    ids: { workflowId: string; versionId: string },
    input: unknown,
    count: number,
  ) => {
    for (let i = 0; i < 200; i += 1) await runOnce(ids, input); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < count; i += 1) samples.push(await runOnce(ids, input));
    return samples;
  };

  try {
    const figures: Figure[] = [];
    const short = await publish(chain(1));
    const long = await publish(chain(41));
    const shortSamples = await sequential(short, { a: 1 }, 1000);
    const longSamples = await sequential(long, { a: 1 }, 1000);
    figures.push({
      name: 'engine overhead per pure step (median, 40-step chain vs 0)',
      value: (median(longSamples) - median(shortSamples)) / 40,
      unit: 'ms',
      target: '≤ 0.2 ms',
    });

    const w1 = await publish(w1Document);
    const w1Input = { method: 'POST', path: 'w1', headers: {}, query: {}, body: { qty: 3, price: 99 } };
    const w1Samples = await sequential(w1, w1Input, 2000);
    figures.push({
      name: 'W1 run without HTTP, sequential, durable (median)',
      value: median(w1Samples),
      unit: 'ms',
      target: '≤ 1.5 ms',
    });
    figures.push({
      name: 'W1 run without HTTP, sequential (p99)',
      value: percentile(w1Samples, 99),
      unit: 'ms',
    });

    // Throughput: 50 runs in flight, like 50 connections.
    const total = 10_000;
    let next = 0;
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < total) {
          next += 1;
          await runOnce(w1, w1Input);
        }
      }),
    );
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    figures.push({
      name: 'W1 runs/s without HTTP, 50 in flight',
      value: (total / wallMs) * 1000,
      unit: 'runs/s',
    });
    figures.push({
      name: 'W1 engine CPU per run (this process)',
      value: (cpu.user + cpu.system) / 1000 / total,
      unit: 'ms',
      target: '≈ 0.5 ms',
    });
    const [{ count }] = (await db.knex('steps').count('* as count')) as unknown as [{ count: string }];
    const [{ runs }] = (await db.knex('runs').count('* as runs')) as unknown as [{ runs: string }];
    figures.push({
      name: 'step rows per run (all benches)',
      value: Number(count) / Number(runs),
      unit: 'rows',
    });
    return figures;
  } finally {
    await runtime.stop();
    sandbox.dispose();
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
