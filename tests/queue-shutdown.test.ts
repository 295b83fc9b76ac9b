import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import type { RunEvent } from '../engine/execution.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { startWorker, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

/** `npm run worker` on SIGTERM: takes no new job, finishes in-flight runs, or hands them back after the timeout. */

let db: TestDatabase;
let api: RuntimeBundle;
let workspaceId: string;
let queueName: string;
let redisUrl: string;
const workers: WorkerProcess[] = [];
const events: RunEvent[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  workspaceId = (await createWorkspace(db.knex, { name: 'Shutdown workspace' })).id;
  queueName = `rf-stop-${randomBytes(5).toString('hex')}`;
  redisUrl = inject('redisUrl');
  api = await startQueueApi(db, { redisUrl, queueName });
  api.runtime.subscribe((event) => events.push(event));
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.close();
  await db?.drop();
});

async function slowWorkflow(ms: number): Promise<{ workflowId: string; versionId: string }> {
  const result = validateWorkflow(
    {
      schemaVersion: 1,
      name: `Slow ${ms}`,
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'work', type: 'test.slow', config: { ms } },
      ],
      edges: [{ from: 'start', to: 'work' }],
    },
    createNodeRegistry(nodeTypes),
  );
  if (!result.ok) throw new Error('invalid test workflow');
  const workflow = await db.workflows.createWorkflow(workspaceId, result.document);
  return { workflowId: workflow.id, versionId: (await db.workflows.publish(workflow.id)).id };
}

async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const started = await startWorker({ databaseUrl: db.url, redisUrl, queueName, env });
  workers.push(started);
  return started;
}

function stepRunning(runId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the step never ran')), 20_000);
    const check = setInterval(() => {
      if (
        events.some(
          (e) =>
            e.type === 'step' && e.runId === runId && e.step.nodeId === 'work' && e.step.status === 'running',
        )
      ) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
}

describe('worker shutdown', () => {
  it('finishes the in-flight run, takes no new job, and exits 0', async () => {
    const first = await worker();
    const workflow = await slowWorkflow(1_500);
    const inFlight = await api.runtime.startRun({ workspaceId, ...workflow, input: {} });
    await stepRunning(inFlight.id);

    first.kill('SIGTERM');
    // Dispatched after SIGTERM: the stopping worker must leave it to others.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await api.runtime.startRun({ workspaceId, ...workflow, input: {} });
    expect(await first.exited).toBe(0);
    expect((await db.store.getRun(inFlight.id))?.status).toBe('succeeded');
    expect((await db.store.getRun(later.id))?.status).toBe('queued');

    const second = await worker();
    const run = await api.runtime.waitForRun(later.id, { timeoutMs: 20_000 });
    expect(run.status).toBe('succeeded');
    expect(run.executorId).toBe(second.executorId);
  });

  it('hands a run back when it does not finish within the shutdown timeout', async () => {
    const impatient = await worker({ REVFLOW_SHUTDOWN_TIMEOUT_MS: '300' });
    const workflow = await slowWorkflow(4_000);
    // Started until one lands on the impatient worker (the other worker from the first test is up too).
    let target: string | undefined;
    for (let attempt = 0; attempt < 10 && !target; attempt += 1) {
      const run = await api.runtime.startRun({ workspaceId, ...workflow, input: { attempt } });
      await stepRunning(run.id);
      if ((await db.store.getRun(run.id))?.executorId === impatient.executorId) target = run.id;
    }
    expect(target).toBeDefined();

    impatient.kill('SIGTERM');
    expect(await impatient.exited).toBe(1);
    // Another worker takes it over once the stopped one's heartbeat is stale, and finishes it.
    const run = await api.runtime.waitForRun(target!, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.executorId).not.toBe(impatient.executorId);
  });
});
