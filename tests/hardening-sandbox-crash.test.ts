/**
 * Issue 11 item 1, the durable half: a step that was running when its executor died twice is
 * failed with the reason, never run a third time — for a pure code step too (before, pure steps
 * after the last commit "simply ran again", so a step that killed its process looped forever
 * across restarts). Real worker processes (`api/main.ts --worker`) on a real Redis and Postgres
 * are SIGKILLed while the code step runs; the third worker finds it and fails it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkspace } from '../api/workspaces/repository.js';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { startWorker, type WorkerEnv, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

let db: TestDatabase;
let api: RuntimeBundle;
let workerEnv: WorkerEnv;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  const queueName = `rf-sbx-crash-${randomBytes(5).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  api = await startQueueApi(db, { redisUrl, queueName, runtime: { staleAfterMs: 2_000 } });
  // A CPU limit long enough that the code step is still running when its worker is killed.
  workerEnv = { databaseUrl: db.url, redisUrl, queueName, env: { REVFLOW_SANDBOX_TIMEOUT_MS: '60000' } };
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop(2_000)));
  await api?.close();
  await db?.drop();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function publish(workspaceId: string, document: WorkflowDocumentInput) {
  const validated = validateWorkflow(document, createNodeRegistry(nodeTypes));
  if (!validated.ok) throw new Error(validated.issues.map((issue) => issue.message).join('; '));
  const workflow = await db.workflows.createWorkflow(workspaceId, validated.document);
  return { workflowId: workflow.id, versionId: (await db.workflows.publish(workflow.id)).id };
}

async function launch(): Promise<WorkerProcess> {
  const worker = await startWorker(workerEnv);
  workers.push(worker);
  return worker;
}

/** The run, once `executorId` holds it (and, with `step`, once that step is committed running). */
function heldBy(runId: string, executorId: string, step?: string) {
  return until(
    async () => {
      const run = await db.knex('runs').where({ id: runId }).first<{ executor_id: string; status: string }>();
      if (run?.executor_id !== executorId || run.status !== 'running') return undefined;
      if (step === undefined) return run;
      const row = await db.knex('steps').where({ run_id: runId, node_id: step }).first<{ status: string }>();
      return row?.status === 'running' ? run : undefined;
    },
    `run ${runId} held by ${executorId}${step ? ` with ${step} running` : ''}`,
  );
}

describe('a code step that kills its executor', () => {
  it('is failed after the second death, not run a third time, and the next worker keeps serving', async () => {
    const workspaceId = (await createWorkspace(db.knex, { name: 'Crashing code', plan: 'professional' })).id;
    const crashing = await publish(workspaceId, {
      schemaVersion: 1,
      name: 'Kills its worker',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'shape', type: 'data.set', config: { fields: [{ name: 'seen', value: true }] } },
        { id: 'code', type: 'code.javascript', config: { source: 'for (;;) {}' } },
      ],
      edges: [
        { from: 'start', to: 'shape' },
        { from: 'shape', to: 'code' },
      ],
    });
    const first = await launch();
    const run = await api.runtime.startRun({ workspaceId, ...crashing, input: {} });

    // Death 1: on the hot path the pure steps are not committed; the code step is running.
    await heldBy(run.id, first.executorId).catch(async (error: Error) => {
      const row = await db.knex('runs').where({ id: run.id }).first();
      throw new Error(`${error.message}\n${JSON.stringify(row)}\n${first.logs.slice(-15).join('\n')}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    first.kill('SIGKILL');
    await first.exited;

    // Death 2: the taken-over run commits each step as started before it runs it.
    const second = await launch();
    await heldBy(run.id, second.executorId, 'code').catch(async (error: Error) => {
      const row = await db.knex('runs').where({ id: run.id }).first();
      const steps = await db.knex('steps').where({ run_id: run.id });
      throw new Error(
        `${error.message}\n${JSON.stringify({ row, steps })}\n${second.logs.slice(-15).join('\n')}`,
      );
    });
    second.kill('SIGKILL');
    await second.exited;

    const third = await launch();
    const ended = await api.runtime.waitForRun(run.id, { timeoutMs: 60_000 });
    expect(ended.status).toBe('failed');
    expect(ended.executorId).toBe(third.executorId);
    const steps = await db
      .knex('steps')
      .where({ run_id: run.id })
      .select<Array<{ node_id: string; status: string; error: { code?: string; message: string } | null }>>(
        'node_id',
        'status',
        'error',
      );
    const code = steps.find((step) => step.node_id === 'code');
    expect(code?.status).toBe('failed');
    expect(code?.error?.code).toBe('interrupted');
    expect(code?.error?.message).toMatch(/executor died, twice; it is not run a third time/);
    // The steps before it re-ran and were committed; the run was taken over twice.
    expect(steps.find((step) => step.node_id === 'shape')?.status).toBe('succeeded');
    const row = await db.knex('runs').where({ id: run.id }).first<{ takeovers: number }>('takeovers');
    expect(row?.takeovers).toBe(2);

    // The worker that refused the third run serves normal work.
    const normal = await publish(workspaceId, {
      schemaVersion: 1,
      name: 'Normal',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'code', type: 'code.javascript', config: { source: 'return { doubled: input.n * 2 }' } },
      ],
      edges: [{ from: 'start', to: 'code' }],
    });
    const next = await api.runtime.startRun({ workspaceId, ...normal, input: { n: 21 } });
    const done = await api.runtime.waitForRun(next.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ doubled: 42 });
  }, 180_000);
});
