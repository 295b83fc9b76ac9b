import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import { PgScheduleSource } from '../api/db/schedule-source.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { Runtime } from '../engine/runtime.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { EmbeddedScheduler } from '../engine/schedule/embedded-scheduler.js';
import { tickToFire } from '../engine/schedule/fire.js';
import type { ScheduledTrigger, ScheduleSource } from '../engine/schedule/source.js';
import { nextTick, previousTick } from '../engine/schedule/spec.js';
import { tickRunId } from '../engine/schedule/tick-run-id.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { nodeTypes } from './fixtures/worker-test-kit.js';
import { createHarness, type Harness } from './helpers/harness.js';
import { startQueueApi } from './helpers/queue-api.js';
import { startWorker, type WorkerProcess } from './helpers/worker-processes.js';
import './setup/redis.js';

const registry = createNodeRegistry(nodeTypes);

function scheduled(config: Record<string, unknown>, name = 'Every second'): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'tick', type: 'trigger.schedule', config },
      { id: 'note', type: 'data.set', config: { fields: [{ name: 'seen', value: '{{ input.tick }}' }] } },
    ],
    edges: [{ from: 'tick', to: 'note' }],
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Runs of a workflow per tick time (the run's input.scheduledAt). */
async function runsPerTick(workflowId: string): Promise<Map<string, number>> {
  const rows = await h.db
    .knex('runs')
    .where({ workflow_id: workflowId })
    .select(h.db.knex.raw("input->>'scheduledAt' AS tick"))
    .count('* as n')
    .groupByRaw("input->>'scheduledAt'");
  return new Map(
    rows.map((row) => [String((row as { tick: string }).tick), Number((row as { n: string }).n)]),
  );
}

describe('trigger.schedule configuration', () => {
  const issuesOf = (config: Record<string, unknown>) => {
    const result = validateWorkflow(scheduled(config), registry);
    return result.ok ? [] : result.issues;
  };

  it('accepts a cron with a time zone, or every N minutes', () => {
    expect(issuesOf({ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' })).toEqual([]);
    expect(issuesOf({ cron: '*/10 * * * * *' })).toEqual([]);
    expect(issuesOf({ everyMinutes: 15, missedTickPolicy: 'runOnce' })).toEqual([]);
  });

  it('names the field of a bad cron, a bad time zone or a missing schedule', () => {
    expect(issuesOf({ cron: '61 * * * *' })).toMatchObject([{ nodeId: 'tick', field: 'config.cron' }]);
    expect(issuesOf({ cron: 'every day' })).toMatchObject([{ nodeId: 'tick', field: 'config.cron' }]);
    expect(issuesOf({ cron: '0 9 * * *', timezone: 'Mars/Olympus_Mons' })).toMatchObject([
      { nodeId: 'tick', field: 'config.timezone' },
    ]);
    expect(issuesOf({ cron: '0 9 * * *', timezone: '+02:00' })).toMatchObject([
      { nodeId: 'tick', field: 'config.timezone' },
    ]);
    expect(issuesOf({})).toMatchObject([{ nodeId: 'tick', field: 'config.cron' }]);
    expect(issuesOf({ cron: '* * * * *', everyMinutes: 5 })).toMatchObject([
      { nodeId: 'tick', field: 'config.cron' },
    ]);
    expect(issuesOf({ everyMinutes: 0 })).toMatchObject([{ nodeId: 'tick', field: 'config.everyMinutes' }]);
  });
});

describe('ticks', () => {
  it('computes ticks in the time zone, and every N minutes on multiples of N', () => {
    const at = Date.parse('2026-03-02T07:30:00Z');
    expect(
      new Date(
        nextTick({ cron: '0 9 * * *', timezone: 'Europe/Berlin', missedTickPolicy: 'skip' }, at)!,
      ).toISOString(),
    ).toBe('2026-03-02T08:00:00.000Z');
    expect(new Date(nextTick({ everyMinutes: 15, missedTickPolicy: 'skip' }, at)!).toISOString()).toBe(
      '2026-03-02T07:45:00.000Z',
    );
    expect(previousTick({ everyMinutes: 15, missedTickPolicy: 'skip' }, at)).toBe(at);
    expect(previousTick({ cron: '* * * * * *', missedTickPolicy: 'skip' }, at + 400)).toBe(at);
  });

  it('fires a late tick only under runOnce, as the most recent tick', () => {
    const spec = { everyMinutes: 1, missedTickPolicy: 'skip' as const };
    const tick = Date.parse('2026-03-02T07:00:00Z');
    expect(tickToFire(spec, tick, tick + 2_000, 60_000)).toBe(tick);
    expect(tickToFire(spec, tick, tick + 10 * 60_000 + 5_000, 60_000)).toBeUndefined();
    expect(
      tickToFire({ ...spec, missedTickPolicy: 'runOnce' }, tick, tick + 10 * 60_000 + 5_000, 60_000),
    ).toBe(tick + 10 * 60_000);
  });

  it('derives one uuid (v7 layout, the tick time first) per workflow, node and tick', () => {
    const id = tickRunId('wf', 'tick', 1_700_000_000_000);
    expect(id).toBe(tickRunId('wf', 'tick', 1_700_000_000_000));
    expect(id).not.toBe(tickRunId('wf', 'tick', 1_700_000_001_000));
    expect(id).not.toBe(tickRunId('wf', 'other', 1_700_000_000_000));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_000);
  });
});

describe('embedded scheduler', () => {
  it('fires each tick once even with two schedulers on one database', async () => {
    const { workflowId } = await h.publish(scheduled({ cron: '* * * * * *' }));
    await h.db.workflows.activate(workflowId);
    const source = new PgScheduleSource(h.db.knex);
    // A second process on the same database: its own runtime (executor) and scheduler.
    const sandbox = new IsolateSandbox();
    const other = new Runtime({ registry, store: h.db.store, sandbox, sweepIntervalMs: 200 });
    const schedulers = [
      new EmbeddedScheduler({ runtime: h.runtime, source }),
      new EmbeddedScheduler({ runtime: other, source }),
    ];
    const attempts = [vi.spyOn(h.runtime, 'startRun'), vi.spyOn(other, 'startRun')];
    try {
      await other.start();
      await Promise.all(schedulers.map((scheduler) => scheduler.start()));
      await until(async () => (await runsPerTick(workflowId)).size >= 3, 15_000, 'three ticks');
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
      await h.db.workflows.deactivate(workflowId);

      const perTick = await runsPerTick(workflowId);
      expect([...perTick.values()].every((count) => count === 1)).toBe(true);
      // Both schedulers tried to start the ticks' runs; the derived run id let one through.
      const tried = attempts.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      expect(tried).toBeGreaterThan(perTick.size);
      // Ticks are the pattern's exact times (whole seconds here), not the time a timer woke up.
      for (const tick of perTick.keys()) expect(tick).toMatch(/:\d\d\.000Z$/);
      // Either process may have executed a run: read the outcome from the database.
      const unfinished = () =>
        h.db.knex('runs').where({ workflow_id: workflowId }).whereNotIn('status', ['succeeded', 'failed']);
      await until(async () => (await unfinished()).length === 0, 15_000, 'the runs to finish');
      const runs = await h.db
        .knex('runs')
        .where({ workflow_id: workflowId })
        .select<Array<{ id: string; status: string }>>('id', 'status');
      expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
      const output = (await h.steps(runs[0]!.id)).get('tick')?.output as {
        scheduledAt: string;
        firedAt: string;
        tick: number;
      };
      expect(new Date(output.scheduledAt).getTime()).toBe(output.tick);
      expect(new Date(output.firedAt).getTime()).toBeGreaterThanOrEqual(output.tick);
    } finally {
      for (const spy of attempts) spy.mockRestore();
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
      await other.stop();
      sandbox.dispose();
    }
  });

  it('after downtime fires one run for the most recent missed tick under runOnce, none under skip', async () => {
    const hourly = (missedTickPolicy: 'skip' | 'runOnce') => ({ everyMinutes: 60, missedTickPolicy });
    const fired = async (missedTickPolicy: 'skip' | 'runOnce'): Promise<Map<string, number>> => {
      const { workflowId, versionId } = await h.publish(
        scheduled(hourly(missedTickPolicy), `Missed ${missedTickPolicy}`),
      );
      const trigger: ScheduledTrigger = {
        workspaceId: h.workspaceId,
        workflowId,
        versionId,
        nodeId: 'tick',
        config: hourly(missedTickPolicy),
      };
      // The trigger last fired ten hours ago: the scheduler was down since.
      const source: ScheduleSource = {
        listScheduled: () => Promise.resolve([trigger]),
        lastFiredAt: () => Promise.resolve(new Date(Date.now() - 10 * 3_600_000)),
      };
      const scheduler = new EmbeddedScheduler({ runtime: h.runtime, source });
      await scheduler.start();
      await scheduler.stop();
      return runsPerTick(workflowId);
    };
    expect((await fired('skip')).size).toBe(0);
    const before = previousTick(hourly('runOnce'), Date.now())!;
    const caughtUp = await fired('runOnce');
    const after = previousTick(hourly('runOnce'), Date.now())!;
    expect(caughtUp.size).toBe(1);
    const [tick, count] = [...caughtUp.entries()][0]!;
    expect(count).toBe(1);
    // The most recent tick (before and after differ only if an hour began during the test).
    expect([new Date(before).toISOString(), new Date(after).toISOString()]).toContain(tick);
  });
});

describe('queue-mode scheduler', () => {
  let workers: WorkerProcess[] = [];
  let apis: RuntimeBundle[] = [];

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    for (const api of apis) await api.close();
  });

  it('fires each tick once with two workers and two API processes syncing the schedule', async () => {
    const queueName = `rf-sched-${randomBytes(5).toString('hex')}`;
    const redisUrl = inject('redisUrl');
    workers = await Promise.all(
      [0, 1].map(() => startWorker({ databaseUrl: h.db.url, redisUrl, queueName })),
    );
    const { workflowId } = await h.publish(scheduled({ cron: '* * * * * *' }, 'Queue ticks'));
    await h.db.workflows.activate(workflowId);
    apis = [
      await startQueueApi(h.db, { redisUrl, queueName }),
      await startQueueApi(h.db, { redisUrl, queueName }),
    ];
    await Promise.all(apis.map((api) => api.scheduler!.refresh()));

    await until(async () => (await runsPerTick(workflowId)).size >= 4, 20_000, 'four ticks');
    await h.db.workflows.deactivate(workflowId);
    await Promise.all(apis.map((api) => api.scheduler!.refresh()));

    const perTick = await runsPerTick(workflowId);
    expect([...perTick.values()].every((count) => count === 1)).toBe(true);
    // Ticks are the pattern's exact times (whole seconds here), not the time a timer woke up.
    for (const tick of perTick.keys()) expect(tick).toMatch(/:\d\d\.000Z$/);
    const runs: Array<{ id: string }> = await h.db
      .knex('runs')
      .where({ workflow_id: workflowId })
      .select('id');
    const finished = await Promise.all(
      runs.map((run) => apis[0]!.runtime.waitForRun(run.id, { timeoutMs: 15_000 })),
    );
    expect(finished.every((run) => run.status === 'succeeded')).toBe(true);
    const executors = new Set(finished.map((run) => run.executorId));
    for (const executor of executors) expect(workers.map((worker) => worker.executorId)).toContain(executor);
  });
});
