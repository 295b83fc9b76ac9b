import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { RunEvent } from '../engine/execution.js';
import type { RunRecord } from '../engine/store.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createSpansTable, nodeTypes } from './fixtures/worker-test-kit.js';
import { startQueueApi } from './helpers/queue-api.js';
import { createSideEffectsTable, sideEffectCounts } from './helpers/side-effects.js';
import { startWorker, type WorkerProcess } from './helpers/worker-processes.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';
import './setup/redis.js';

/**
 * Queue mode (DESIGN §2) with two real worker processes (`api/main.ts --worker`) and the API
 * side in this process: runs spread over the workers, the API executes nothing, limits hold
 * across workers, cancellation reaches the worker, and a SIGKILLed worker's runs finish once.
 */

const registry = createNodeRegistry(nodeTypes);
let db: TestDatabase;
let api: RuntimeBundle;
let workers: WorkerProcess[] = [];
let workspaceId: string;
const events: RunEvent[] = [];

beforeAll(async () => {
  db = await freshDatabase({ poolMax: 12 });
  await createSideEffectsTable(db.knex);
  await createSpansTable(db.knex);
  workspaceId = (await createWorkspace(db.knex, { name: 'Queue workspace' })).id;
  const queueName = `rf-test-${randomBytes(5).toString('hex')}`;
  const redisUrl = inject('redisUrl');
  // Waiters are woken by events only: a poll would hide a broken event path.
  api = await startQueueApi(db, { redisUrl, queueName, runtime: { waitPollMs: 600_000 } });
  api.runtime.subscribe((event) => events.push(event));
  workers = await Promise.all([0, 1].map(() => startWorker({ databaseUrl: db.url, redisUrl, queueName })));
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.close();
  await db?.drop();
});

async function publish(document: WorkflowDocumentInput): Promise<{ workflowId: string; versionId: string }> {
  const result = validateWorkflow(document, registry);
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('; '));
  const workflow = await db.workflows.createWorkflow(workspaceId, result.document);
  const version = await db.workflows.publish(workflow.id);
  return { workflowId: workflow.id, versionId: version.id };
}

async function startRuns(
  workflow: { workflowId: string; versionId: string },
  count: number,
): Promise<RunRecord[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      api.runtime.startRun({ workspaceId, ...workflow, input: { index } }),
    ),
  );
}

function waitAll(runs: RunRecord[], timeoutMs = 30_000): Promise<RunRecord[]> {
  return Promise.all(runs.map((run) => api.runtime.waitForRun(run.id, { timeoutMs })));
}

async function runRows(
  workflowId: string,
): Promise<Array<{ id: string; status: string; executor_id: string; started_at: Date }>> {
  return db
    .knex('runs')
    .where({ workflow_id: workflowId })
    .select('id', 'status', 'executor_id', 'started_at');
}

function linear(
  name: string,
  steps: Array<{ id: string; type: string; config: Record<string, unknown> }>,
  settings = {},
): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name,
    nodes: [{ id: 'start', type: 'trigger.manual', config: {} }, ...steps],
    edges: steps.map((step, index) => ({ from: index === 0 ? 'start' : steps[index - 1]!.id, to: step.id })),
    settings,
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('queue mode', () => {
  it('spreads runs over both workers; the API executes none yet hears every run finish', async () => {
    const execute = vi.spyOn(api.runtime.engine, 'execute');
    const workflow = await publish(
      linear('Spread', [{ id: 'work', type: 'test.slow', config: { ms: 250 } }]),
    );
    const runs = await waitAll(await startRuns(workflow, 16));

    expect(runs.map((run) => run.status)).toEqual(runs.map(() => 'succeeded'));
    expect(execute).not.toHaveBeenCalled();
    execute.mockRestore();
    const executors = new Set((await runRows(workflow.workflowId)).map((row) => row.executor_id));
    expect(executors).toEqual(new Set(workers.map((worker) => worker.executorId)));
    // Step events of the workers reached the API over the bus.
    const ids = new Set(runs.map((run) => run.id));
    expect(
      events.some((event) => event.type === 'step' && ids.has(event.runId) && event.step.nodeId === 'work'),
    ).toBe(true);
  });

  it('never runs more than settings.concurrency runs of a workflow at once, across workers', async () => {
    const workflow = await publish(
      linear('Two at a time', [{ id: 'span', type: 'test.span', config: { ms: 250 } }], { concurrency: 2 }),
    );
    const runs = await waitAll(await startRuns(workflow, 8));
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);

    const spans = await db
      .knex('test_spans')
      .where({ workflow_id: workflow.workflowId })
      .select('started_at', 'ended_at', 'pid');
    expect(spans).toHaveLength(8);
    // Sweep over start (+1) and end (-1) times; at equal times ends count first.
    const edges = spans.flatMap((span: { started_at: Date; ended_at: Date }) => [
      { at: span.started_at.getTime(), delta: 1 },
      { at: span.ended_at.getTime(), delta: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let running = 0;
    let maxOverlap = 0;
    for (const edge of edges) maxOverlap = Math.max(maxOverlap, (running += edge.delta));
    expect(maxOverlap).toBeLessThanOrEqual(2);
    expect(maxOverlap).toBeGreaterThanOrEqual(1);
    // Both workers took part: the limit held across processes, not inside one.
    expect(new Set(spans.map((span: { pid: number }) => span.pid)).size).toBe(2);
  });

  it('starts no more than settings.rateLimit.max runs per window, across workers', async () => {
    const rateLimit = { max: 3, perMs: 1_000 };
    const workflow = await publish(
      linear('Three a second', [{ id: 'work', type: 'test.slow', config: { ms: 10 } }], { rateLimit }),
    );
    const runs = await waitAll(await startRuns(workflow, 7));
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);

    // The limiter counts on Redis's clock just before the claim stamps started_at in Postgres;
    // a window shortened by that gap's bound must still hold at most `max` starts.
    const starts = (await runRows(workflow.workflowId))
      .map((row) => row.started_at.getTime())
      .sort((a, b) => a - b);
    const window = rateLimit.perMs - 200;
    for (const [index, start] of starts.entries()) {
      const inWindow = starts.slice(index).filter((at) => at < start + window).length;
      expect(inWindow, `starts within ${window} ms of start ${index}`).toBeLessThanOrEqual(rateLimit.max);
    }
  });

  it('cancels a run executing on a worker', async () => {
    const workflow = await publish(
      linear('Long', [{ id: 'work', type: 'test.slow', config: { ms: 60_000 } }]),
    );
    const [started] = await startRuns(workflow, 1);
    await until(
      async () =>
        events.some(
          (e) =>
            e.type === 'step' &&
            e.runId === started!.id &&
            e.step.nodeId === 'work' &&
            e.step.status === 'running',
        ),
      15_000,
      'the step to run on a worker',
    );
    const cancelled = await api.runtime.cancel(started!.id);
    expect(cancelled?.status).toBe('running');
    const run = await api.runtime.waitForRun(started!.id, { timeoutMs: 15_000 });
    expect(run.status).toBe('cancelled');
    expect(workers.map((worker) => worker.executorId)).toContain(
      (await runRows(workflow.workflowId))[0]!.executor_id,
    );
  });

  it('finishes every run exactly once when a worker is SIGKILLed mid-run', async () => {
    const fx = ['charge', 'email', 'crm'];
    const workflow = await publish(
      linear(
        'Side effects',
        fx.map((id) => ({ id, type: 'test.sideEffect', config: { holdMs: 300 } })),
      ),
    );
    const runs = await startRuns(workflow, 10);
    const [victim, survivor] = workers as [WorkerProcess, WorkerProcess];

    // Kill one worker in the middle of its runs: some of their side effects done, some not.
    // It holds up to 4 runs; 6 side effects means some of its runs are past their first one.
    await until(
      async () =>
        Number((await db.knex('test_side_effects').where({ pid: victim.pid }).count('* as n'))[0]!.n) >= 6,
      20_000,
      'side effects on the worker to kill',
    );
    victim.kill('SIGKILL');
    await victim.exited;
    const heldByVictim = new Set(
      (await runRows(workflow.workflowId))
        .filter((row) => row.executor_id === victim.executorId)
        .map((row) => row.id),
    );
    const stepsAtKill = await db
      .knex('steps')
      .whereIn(
        'run_id',
        runs.map((run) => run.id),
      )
      .whereIn('node_id', fx);
    const doneBeforeKill = new Set(
      stepsAtKill
        .filter((step: { status: string }) => step.status === 'succeeded')
        .map((step: { run_id: string; node_id: string }) => `${step.run_id}:${step.node_id}`),
    );
    expect([...doneBeforeKill].some((key) => heldByVictim.has(key.split(':')[0]!))).toBe(true);

    const finished = await waitAll(runs, 40_000);
    expect(finished.map((run) => run.status)).toEqual(runs.map(() => 'succeeded'));

    const counts = await sideEffectCounts(db.knex);
    const steps = await db
      .knex('steps')
      .whereIn(
        'run_id',
        runs.map((run) => run.id),
      )
      .whereIn('node_id', fx);
    const interruptions = new Map(
      steps.map((step: { run_id: string; node_id: string; interruptions: number }) => [
        `${step.run_id}:${step.node_id}`,
        step.interruptions,
      ]),
    );
    for (const run of runs) {
      for (const id of fx) {
        const key = `${run.id}:${id}`;
        const count = counts.get(key);
        // A side effect completed before the kill ran once; one cut off by it ran again once.
        if (doneBeforeKill.has(key)) expect(count, key).toBe(1);
        expect(count, key).toBeGreaterThanOrEqual(1);
        expect(count, key).toBeLessThanOrEqual(2);
        if (count === 2) expect(interruptions.get(key), key).toBe(1);
      }
    }
    // The runs the killed worker held were finished by the other one.
    const rows = await runRows(workflow.workflowId);
    for (const row of rows.filter((row) => heldByVictim.has(row.id)))
      expect(row.executor_id).toBe(survivor.executorId);
  });
});
