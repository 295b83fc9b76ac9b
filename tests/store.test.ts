import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '../engine/document.js';
import type { NewRun, RunRecord, StepRecord } from '../engine/store.js';
import { uuidv7 } from '../api/db/ids.js';
import { migrations } from '../api/db/migrations.js';
import { createWorkspace, ensureWorkspace } from '../api/workspaces/repository.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';

function document(name: string, extra: Partial<WorkflowDocument> = {}): WorkflowDocument {
  return {
    schemaVersion: 1,
    name,
    nodes: [{ id: 'start', type: 'trigger.manual', config: {} }],
    edges: [],
    settings: {},
    ...extra,
  };
}

function step(runId: string, nodeId: string, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    runId,
    nodeId,
    status: 'succeeded',
    attempts: 1,
    input: { n: 1 },
    output: { ok: true, nodeId },
    ports: ['out'],
    error: null,
    logs: [],
    startedAt: new Date(),
    finishedAt: new Date(),
    wait: null,
    interruptions: 0,
    ...extra,
  };
}

let db: TestDatabase;
let workspaceId: string;
let workflowId: string;
let versionId: string;

function newRun(extra: Partial<NewRun> = {}): NewRun {
  return {
    workspaceId,
    workflowId,
    versionId,
    triggerNodeId: 'start',
    input: { hello: 'world' },
    deadlineAt: null,
    ...extra,
  };
}

beforeAll(async () => {
  db = await freshDatabase();
  workspaceId = (await createWorkspace(db.knex, { name: 'Store tests' })).id;
  const workflow = await db.workflows.createWorkflow(workspaceId, document('Store tests'));
  workflowId = workflow.id;
  versionId = (await db.workflows.publish(workflowId)).id;
});

afterAll(async () => {
  await db?.drop();
});

describe('migrations', () => {
  it('lists every file of migrations/, in order', async () => {
    const files = (await readdir(new URL('../migrations/', import.meta.url)))
      .filter((file) => /^\d+_.+\.ts$/.test(file))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(migrations.map((migration) => migration.name)).toEqual(files);
  });
});

describe('group commit', () => {
  it('coalesces concurrent commits into one transaction, and each caller finds its data committed', async () => {
    const runs = await Promise.all(
      Array.from({ length: 50 }, () => db.store.createRun(newRun({ claimFor: 'exec-group' }))),
    );
    const before = db.store.stats();

    await Promise.all(
      runs.map(async (run, i) => {
        await db.store.commit(run.id, [step(run.id, 'start'), step(run.id, 'work', { output: { i } })], {
          status: 'succeeded',
          output: { i },
          finishedAt: new Date(),
        });
        // Resolved means committed: visible to any other connection now.
        const [record, steps] = await Promise.all([db.store.getRun(run.id), db.store.getSteps(run.id)]);
        expect(record?.status).toBe('succeeded');
        expect(record?.output).toEqual({ i });
        expect(steps.map((s) => s.nodeId).sort()).toEqual(['start', 'work']);
        expect(steps.find((s) => s.nodeId === 'work')?.output).toEqual({ i });
      }),
    );

    const after = db.store.stats();
    expect(after.commit.calls - before.commit.calls).toBe(50);
    // All 50 calls were made in one tick while the committer was idle: exactly one flush.
    expect(after.commit.flushes - before.commit.flushes).toBe(1);
    expect(after.transactions - before.transactions).toBe(1);
  });

  it('coalesces concurrent createRun calls, copying steps into the new run', async () => {
    const before = db.store.stats();
    const copied = step('', 'start', { output: { copied: true } });
    const runs = await Promise.all(
      Array.from({ length: 20 }, () => db.store.createRun(newRun({ steps: [copied] }))),
    );
    expect(db.store.stats().createRun.flushes - before.createRun.flushes).toBe(1);
    for (const run of runs) {
      expect(run.status).toBe('queued');
      expect(await db.store.getRun(run.id)).toEqual(run);
      const steps = await db.store.getSteps(run.id);
      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({ runId: run.id, nodeId: 'start', output: { copied: true } });
    }
    // uuid v7: ids made later sort later.
    expect([...runs.map((run) => run.id)].sort()).toEqual(runs.map((run) => run.id));
  });

  it('applies commits of one run in call order when they share a batch', async () => {
    const run = await db.store.createRun(newRun({ claimFor: 'exec-order' }));
    await Promise.all([
      db.store.commit(run.id, [step(run.id, 'a', { status: 'running', output: null })], {
        wakeAt: new Date(),
      }),
      db.store.commit(run.id, [step(run.id, 'a', { output: 'second' }), step(run.id, 'b')], { wakeAt: null }),
      db.store.commit(run.id, [], { status: 'failed', error: { message: 'boom', code: 'node_error' } }),
    ]);
    const record = await db.store.getRun(run.id);
    expect(record).toMatchObject({
      status: 'failed',
      wakeAt: null,
      error: { message: 'boom', code: 'node_error' },
    });
    const steps = await db.store.getSteps(run.id);
    expect(steps.find((s) => s.nodeId === 'a')).toMatchObject({ status: 'succeeded', output: 'second' });
  });

  it('fails only the bad call of a batch', async () => {
    const good = await db.store.createRun(newRun({ claimFor: 'exec-bad' }));
    const missing = uuidv7();
    const results = await Promise.allSettled([
      db.store.commit(good.id, [step(good.id, 'start')], { status: 'succeeded' }),
      db.store.commit(missing, [step(missing, 'start')], { status: 'succeeded' }),
      db.store.commit(missing, [], { status: 'succeeded' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((await db.store.getRun(good.id))?.status).toBe('succeeded');
  });

  it('stores values Postgres jsonb cannot hold (U+0000) rather than failing the run', async () => {
    const run = await db.store.createRun(newRun({ claimFor: 'exec-nul' }));
    await db.store.commit(
      run.id,
      [step(run.id, 'start', { output: { text: 'a\u0000b', path: 'c:\\u0000' } })],
      {},
    );
    const [stored] = await db.store.getSteps(run.id);
    expect(stored?.output).toEqual({ text: 'a\ufffdb', path: 'c:\\u0000' });
  });
});

describe('workflow versions', () => {
  it('numbers published versions 1, 2, 3, each freezing the draft of its time', async () => {
    const workflow = await db.workflows.createWorkflow(workspaceId, document('Versioned'));
    const published = [];
    for (const name of ['first', 'second', 'third']) {
      await db.workflows.saveDraft(workflow.id, document(name));
      published.push(await db.workflows.publish(workflow.id, `note ${name}`));
    }
    expect(published.map((version) => version.number)).toEqual([1, 2, 3]);
    expect(published.map((version) => version.document.name)).toEqual(['first', 'second', 'third']);
    expect((await db.workflows.listVersions(workflow.id)).map((version) => version.number)).toEqual([
      3, 2, 1,
    ]);
    expect((await db.workflows.get(workflow.id))?.publishedVersionId).toBe(published[2]?.id);
    expect((await db.store.getVersion(published[0]!.id))?.document.name).toBe('first');
  });

  it('refuses to change a published version in the database', async () => {
    const version = await db.workflows.publish(workflowId);
    await expect(
      db
        .knex('workflow_versions')
        .where({ id: version.id })
        .update({ document: JSON.stringify(document('tampered')) }),
    ).rejects.toThrow(/immutable/);
    await expect(
      db.knex('workflow_versions').where({ id: version.id }).update({ number: 99 }),
    ).rejects.toThrow(/immutable/);
    // The note is commentary, not content: it may be edited.
    await db.knex('workflow_versions').where({ id: version.id }).update({ note: 'edited' });
    expect((await db.workflows.getVersion(version.id))?.note).toBe('edited');
  });

  it('activates the published version, deactivates, and soft-deletes', async () => {
    const workflow = await db.workflows.createWorkflow(workspaceId, document('Lifecycle'));
    await expect(db.workflows.activate(workflow.id)).rejects.toThrow(/no published version/);
    const version = await db.workflows.publish(workflow.id);
    expect(await db.workflows.activate(workflow.id)).toMatchObject({
      active: true,
      activeVersionId: version.id,
    });
    expect(await db.workflows.deactivate(workflow.id)).toMatchObject({ active: false });
    expect((await db.workflows.list(workspaceId)).map((w) => w.id)).toContain(workflow.id);
    expect(await db.workflows.softDelete(workflow.id)).toBe(true);
    expect(await db.workflows.get(workflow.id)).toBeUndefined();
    expect((await db.workflows.get(workflow.id, { includeDeleted: true }))?.deletedAt).toBeInstanceOf(Date);
    expect((await db.workflows.list(workspaceId)).map((w) => w.id)).not.toContain(workflow.id);
    expect(
      await db.workflows.get(workflow.id, { workspaceId: uuidv7(), includeDeleted: true }),
    ).toBeUndefined();
  });
});

describe('workspaces', () => {
  it('makes unique slugs and ensures a workspace once', async () => {
    const a = await createWorkspace(db.knex, { name: 'Acme Ünited' });
    const b = await createWorkspace(db.knex, { name: 'Acme Ünited' });
    expect(a.slug).toBe('acme-united');
    expect(b.slug).not.toBe(a.slug);
    const cli = await ensureWorkspace(db.knex, { slug: 'cli', name: 'Command line' });
    expect((await ensureWorkspace(db.knex, { slug: 'cli', name: 'Command line' })).id).toBe(cli.id);
  });
});

describe('deleting', () => {
  it('deletes a workspace with its workflows, versions, runs and steps', async () => {
    const other = await createWorkspace(db.knex, { name: 'Short-lived' });
    const workflow = await db.workflows.createWorkflow(other.id, document('Doomed'));
    const version = await db.workflows.publish(workflow.id);
    const run = await db.store.createRun({
      ...newRun(),
      workspaceId: other.id,
      workflowId: workflow.id,
      versionId: version.id,
    });
    await db.store.commit(run.id, [step(run.id, 'start')], {});
    const survivor = await db.store.createRun(newRun());
    await db.store.commit(survivor.id, [step(survivor.id, 'start')], {});

    await db.knex('workspaces').where({ id: other.id }).delete();
    expect(await db.workflows.getVersion(version.id)).toBeUndefined();
    expect(await db.store.getRun(run.id)).toBeUndefined();
    expect(await db.store.getSteps(run.id)).toEqual([]);
    expect(await db.store.getSteps(survivor.id)).toHaveLength(1);
  });
});

describe('claiming and recovery', () => {
  async function setHeartbeat(executorId: string, agoMs: number): Promise<void> {
    await db.store.heartbeat(executorId);
    await db.knex.raw(
      "UPDATE executors SET last_seen_at = now() - ? * interval '1 millisecond' WHERE id = ?",
      [agoMs, executorId],
    );
  }

  it('refuses a run held by a live executor and takes it once that executor is stale', async () => {
    const run = await db.store.createRun(newRun());
    await setHeartbeat('exec-a', 0);
    const claimed = await db.store.claimRun(run.id, 'exec-a', { staleAfterMs: 10_000 });
    expect(claimed?.run).toMatchObject({ status: 'running', executorId: 'exec-a' });
    expect(claimed?.run.startedAt).toBeInstanceOf(Date);
    await db.store.commit(run.id, [step(run.id, 'start')], {});

    expect(await db.store.claimRun(run.id, 'exec-b', { staleAfterMs: 10_000 })).toBeUndefined();
    // The holder itself may claim again (e.g. after a restart of its dispatcher).
    expect((await db.store.claimRun(run.id, 'exec-a', { staleAfterMs: 10_000 }))?.run.executorId).toBe(
      'exec-a',
    );

    await setHeartbeat('exec-a', 60_000);
    const taken = await db.store.claimRun(run.id, 'exec-b', { staleAfterMs: 10_000 });
    expect(taken?.run).toMatchObject({ status: 'running', executorId: 'exec-b' });
    expect(taken?.steps.map((s) => s.nodeId)).toEqual(['start']);
    expect(taken?.steps[0]?.startedAt).toBeInstanceOf(Date);

    await db.store.commit(run.id, [], { status: 'succeeded', finishedAt: new Date() });
    expect(await db.store.claimRun(run.id, 'exec-b')).toBeUndefined();
  });

  it('gives a run to only one of two executors claiming it at once', async () => {
    const run = await db.store.createRun(newRun());
    const results = await Promise.all([
      db.store.claimRun(run.id, 'exec-x'),
      db.store.claimRun(run.id, 'exec-y'),
    ]);
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
  });

  it('takes a waiting run only once it is due', async () => {
    const run = await db.store.createRun(newRun({ claimFor: 'exec-w' }));
    await db.store.commit(run.id, [], {
      status: 'waiting',
      executorId: null,
      wakeAt: new Date(Date.now() + 60_000),
    });
    expect(await db.store.claimRun(run.id, 'exec-w')).toBeUndefined();
    await db.store.commit(run.id, [], { wakeAt: new Date(Date.now() - 1_000) });
    expect((await db.store.claimRun(run.id, 'exec-w'))?.run.status).toBe('running');
  });

  it('finds stale running runs, due waits and forgotten queued runs, oldest first', async () => {
    await setHeartbeat('exec-live', 0);
    await setHeartbeat('exec-dead', 120_000);
    const make = async (
      patch: Parameters<typeof db.store.commit>[2],
      claimFor?: string,
    ): Promise<RunRecord> => {
      const run = await db.store.createRun(newRun(claimFor === undefined ? {} : { claimFor }));
      if (Object.keys(patch).length > 0) await db.store.commit(run.id, [], patch);
      return run;
    };
    const staleRunning = await make({}, 'exec-dead');
    const unknownExecutor = await make({}, 'exec-never-seen');
    const dueWait = await make(
      { status: 'waiting', executorId: null, wakeAt: new Date(Date.now() - 1_000) },
      'exec-live',
    );
    const liveRunning = await make({}, 'exec-live');
    const laterWait = await make(
      { status: 'waiting', executorId: null, wakeAt: new Date(Date.now() + 60_000) },
      'exec-live',
    );
    const freshQueued = await make({});
    const oldQueued = await make({});
    await db.knex.raw("UPDATE runs SET created_at = now() - interval '1 minute' WHERE id = ?", [
      oldQueued.id,
    ]);
    const finished = await make({ status: 'succeeded', finishedAt: new Date() }, 'exec-dead');

    const found = await db.store.findRecoverableRuns({ staleAfterMs: 30_000, now: new Date(), limit: 1_000 });
    const mine = new Set(
      [staleRunning, unknownExecutor, dueWait, liveRunning, laterWait, freshQueued, oldQueued, finished].map(
        (r) => r.id,
      ),
    );
    const ids = found.filter((run) => mine.has(run.id)).map((run) => run.id);
    expect(ids).toEqual([oldQueued.id, staleRunning.id, unknownExecutor.id, dueWait.id]);
    expect(found.find((run) => run.id === dueWait.id)).toEqual({
      id: dueWait.id,
      workspaceId,
      status: 'waiting',
    });
  });
});

describe('cancellation', () => {
  it('cancels a queued run at once', async () => {
    const run = await db.store.createRun(newRun());
    const cancelled = await db.store.requestCancel(run.id);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      cancelRequested: true,
      error: { code: 'cancelled' },
    });
    expect(cancelled?.finishedAt).toBeInstanceOf(Date);
    expect(await db.store.claimRun(run.id, 'exec-c')).toBeUndefined();
  });

  it('cancels a waiting run and its waiting step', async () => {
    const run = await db.store.createRun(newRun({ claimFor: 'exec-c' }));
    await db.store.commit(run.id, [step(run.id, 'approve', { status: 'waiting', finishedAt: null })], {
      status: 'waiting',
      executorId: null,
      wakeAt: null,
    });
    expect((await db.store.requestCancel(run.id))?.status).toBe('cancelled');
    expect((await db.store.getSteps(run.id))[0]?.status).toBe('cancelled');
  });

  it('only flags a running run (its executor stops it) and leaves a finished run alone', async () => {
    const running = await db.store.createRun(newRun({ claimFor: 'exec-c' }));
    expect(await db.store.requestCancel(running.id)).toMatchObject({
      status: 'running',
      cancelRequested: true,
    });
    await db.store.commit(running.id, [], { status: 'cancelled', finishedAt: new Date() });
    expect(await db.store.requestCancel(running.id)).toMatchObject({ status: 'cancelled' });
    expect(await db.store.requestCancel(uuidv7())).toBeUndefined();
    expect(await db.store.requestCancel('not-a-uuid')).toBeUndefined();
  });
});
