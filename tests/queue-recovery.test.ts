import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { createSideEffectsTable, sideEffectCounts } from './helpers/side-effects.js';
import { startWorker, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

/**
 * The other recovery path after a SIGKILL (queue.test.ts covers BullMQ's stalled-job one):
 * here the job lock (1 s) expires well before the dead executor's heartbeat counts as stale
 * (4 s), so the stalled job comes back while the run still looks held, the claim refuses it
 * and the job completes without executing. The sweeper then hands the run on once the
 * executor is stale. Every run must still finish, each side effect at most once more.
 */

let db: TestDatabase;
let api: RuntimeBundle;
let workers: WorkerProcess[] = [];
let workspaceId: string;

beforeAll(async () => {
  db = await freshDatabase();
  await createSideEffectsTable(db.knex);
  workspaceId = (await createWorkspace(db.knex, { name: 'Recovery workspace' })).id;
  const queueName = `rf-rec-${randomBytes(5).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  api = await startQueueApi(db, { redisUrl, queueName, runtime: { staleAfterMs: 4_000 } });
  const env = { REVFLOW_QUEUE_LOCK_MS: '1000', REVFLOW_STALE_EXECUTOR_MS: '4000' };
  workers = await Promise.all(
    [0, 1].map(() => startWorker({ databaseUrl: db.url, redisUrl, queueName, env })),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.close();
  await db?.drop();
});

describe('recovery through the sweeper', () => {
  it('finishes every run of a SIGKILLed worker when its stalled jobs come back too early', async () => {
    const fx = ['charge', 'email'];
    const result = validateWorkflow(
      {
        schemaVersion: 1,
        name: 'Two side effects',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          ...fx.map((id) => ({ id, type: 'test.sideEffect', config: { holdMs: 400 } })),
        ],
        edges: [
          { from: 'start', to: 'charge' },
          { from: 'charge', to: 'email' },
        ],
      },
      createNodeRegistry(nodeTypes),
    );
    if (!result.ok) throw new Error('invalid test workflow');
    const workflow = await db.workflows.createWorkflow(workspaceId, result.document);
    const versionId = (await db.workflows.publish(workflow.id)).id;
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        api.runtime.startRun({ workspaceId, workflowId: workflow.id, versionId, input: { index } }),
      ),
    );
    const [victim, survivor] = workers as [WorkerProcess, WorkerProcess];
    const deadline = Date.now() + 20_000;
    while (
      Number((await db.knex('test_side_effects').where({ pid: victim.pid }).count('* as n'))[0]!.n) < 2
    ) {
      if (Date.now() > deadline) throw new Error('the worker to kill never ran a side effect');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    victim.kill('SIGKILL');
    await victim.exited;
    const held = await db
      .knex('runs')
      .where({ workflow_id: workflow.id, executor_id: victim.executorId })
      .select('id');
    expect(held.length).toBeGreaterThan(0);

    const finished = await Promise.all(
      runs.map((run) => api.runtime.waitForRun(run.id, { timeoutMs: 40_000 })),
    );
    expect(finished.map((run) => run.status)).toEqual(runs.map(() => 'succeeded'));
    for (const { id } of held as Array<{ id: string }>) {
      expect(finished.find((run) => run.id === id)?.executorId).toBe(survivor.executorId);
    }
    // The path this test is about was taken: a job came back and was refused by the claim.
    expect(survivor.logs.some((line) => line.includes('run not taken'))).toBe(true);
    const counts = await sideEffectCounts(db.knex);
    for (const run of runs) {
      for (const id of fx) {
        expect(counts.get(`${run.id}:${id}`)).toBeGreaterThanOrEqual(1);
        expect(counts.get(`${run.id}:${id}`)).toBeLessThanOrEqual(2);
      }
    }
  });
});
