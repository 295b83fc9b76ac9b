import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { RunRecord } from '../engine/store.js';
import { finishedRunStatuses } from '../engine/store.js';
import { validateWorkflow } from '../engine/validate.js';
import { MAX_CHILD_DEPTH } from '../engine/waits.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';
import { testNodeTypes } from './helpers/test-nodes.js';

/** A workflow: manual trigger → optional delay → code. */
function childDoc(source: string, delayMs?: number): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'child',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      ...(delayMs ? [{ id: 'pause', type: 'flow.delay', config: { ms: delayMs } }] : []),
      { id: 'work', type: 'code.javascript', config: { source } },
    ],
    edges: delayMs
      ? [
          { from: 'start', to: 'pause' },
          { from: 'pause', to: 'work' },
        ]
      : [{ from: 'start', to: 'work' }],
  };
}

function callerDoc(type: string, config: Record<string, unknown>): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'caller',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'call', type, config },
    ],
    edges: [{ from: 'start', to: 'call' }],
  };
}

let h: Harness;
let doubler: string;
let failer: string;

beforeAll(async () => {
  h = await createHarness();
  doubler = (await h.publish(childDoc('return { doubled: input.n * 2 }'))).workflowId;
  failer = (
    await h.publish(
      childDoc("if (input.n === 3 || input.n === undefined) throw new Error('no threes'); return input.n"),
    )
  ).workflowId;
});
afterAll(async () => {
  await h?.close();
});

async function childrenOf(
  runId: string,
): Promise<Array<{ id: string; status: string; parent_node_id: string }>> {
  return h.db.knex('runs').where({ parent_run_id: runId }).select('id', 'status', 'parent_node_id');
}

describe('flow.subWorkflow', () => {
  it('waits for the child run, holding nothing, and outputs its result', async () => {
    const slow = (await h.publish(childDoc('return { doubled: input.n * 2 }', 300))).workflowId;
    const run = await h.start(
      callerDoc('flow.subWorkflow', { workflowId: slow, input: { n: '{{ input.n }}' } }),
      {
        n: 21,
      },
    );
    const waiting = await h.runtime.waitForRun(run.id, { orWaiting: true, timeoutMs: 10_000 });
    expect(waiting.status).toBe('waiting');
    const done = await h.runtime.waitForRun(run.id, { timeoutMs: 15_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const [child] = await childrenOf(run.id);
    expect(child).toMatchObject({ status: 'succeeded', parent_node_id: 'call' });
    expect((await h.steps(run.id)).get('call')!.output).toEqual({
      runId: child!.id,
      output: { doubled: 42 },
    });
  });

  it('fire-and-forget returns at once with the child run id', async () => {
    const slow = (await h.publish(childDoc('return 1', 500))).workflowId;
    const { run, steps } = await h.runToEnd(
      callerDoc('flow.subWorkflow', { workflowId: slow, mode: 'fireAndForget' }),
      { n: 1 },
    );
    expect(run.status).toBe('succeeded');
    const output = steps.get('call')!.output as { runId: string };
    const child = await h.db.store.getRun(output.runId);
    expect(child!.status).not.toBe('succeeded');
    expect(child!.parentRunId).toBe(run.id);
    expect((await h.runtime.waitForRun(output.runId, { timeoutMs: 10_000 })).status).toBe('succeeded');
  });

  it("fails the step with the child's error and run id", async () => {
    const { run, steps } = await h.runToEnd(callerDoc('flow.subWorkflow', { workflowId: failer }), { n: 3 });
    expect(run.status).toBe('failed');
    const [child] = await childrenOf(run.id);
    expect(child!.status).toBe('failed');
    const error = steps.get('call')!.error!;
    expect(error.code).toBe('child_failed');
    expect(error.message).toContain(child!.id);
    expect(error.message).toContain('no threes');
  });

  it('fails clearly on an unknown workflow, and validation names a bad workflowId', async () => {
    const { run, steps } = await h.runToEnd(
      callerDoc('flow.subWorkflow', { workflowId: '00000000-0000-4000-8000-000000000000' }),
      {},
    );
    expect(run.status).toBe('failed');
    expect(steps.get('call')!.error).toMatchObject({ code: 'config', field: 'config.workflowId' });
    expect(steps.get('call')!.error!.message).toMatch(/no published version/);
    const result = validateWorkflow(
      callerDoc('flow.subWorkflow', { workflowId: 'nope', mode: 'later' }),
      createNodeRegistry(testNodeTypes),
    );
    const fields = result.ok ? [] : result.issues.map((issue) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(['config.workflowId', 'config.mode']));
  });

  it('stops recursion at the depth limit', async () => {
    const placeholder = validateWorkflow(childDoc('return 1'), h.runtime.engine.registry);
    if (!placeholder.ok) throw new Error('bad placeholder');
    const workflow = await h.db.workflows.createWorkflow(h.workspaceId, placeholder.document);
    const selfCall = validateWorkflow(
      callerDoc('flow.subWorkflow', { workflowId: workflow.id }),
      h.runtime.engine.registry,
    );
    if (!selfCall.ok) throw new Error('bad document');
    await h.db.workflows.saveDraft(workflow.id, selfCall.document);
    const version = await h.db.workflows.publish(workflow.id);
    const top = await h.runtime.startRun({
      workspaceId: h.workspaceId,
      workflowId: workflow.id,
      versionId: version.id,
      input: {},
    });
    const done = await h.runtime.waitForRun(top.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('failed');
    expect(done.error!.message).toContain(`nested more than ${MAX_CHILD_DEPTH} deep`);
    const all = await h.db.knex('runs').where({ workflow_id: workflow.id }).select('status');
    expect(all).toHaveLength(MAX_CHILD_DEPTH + 1);
    expect(all.every((row: { status: string }) => row.status === 'failed')).toBe(true);
  });

  it('cancelling the parent cancels the child it waits for', async () => {
    const sleeper = (await h.publish(childDoc('return 1', 60_000))).workflowId;
    const run = await h.start(callerDoc('flow.subWorkflow', { workflowId: sleeper }), {});
    await h.runtime.waitForRun(run.id, { orWaiting: true, timeoutMs: 10_000 });
    let [child] = await childrenOf(run.id);
    await h.runtime.waitForRun(child!.id, { orWaiting: true, timeoutMs: 10_000 });
    expect((await h.runtime.cancel(run.id))!.status).toBe('cancelled');
    [child] = await childrenOf(run.id);
    expect(child!.status).toBe('cancelled');
  });
});

describe('logic.forEach', () => {
  it('runs 5 items 2 at a time and collects the results in item order', async () => {
    // Later items finish first: the results must still come back in item order.
    const child = (
      await h.publish({
        ...childDoc('return { doubled: input.n * 2 }'),
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          { id: 'pause', type: 'flow.delay', config: { ms: '{{ 500 - input.n * 100 }}' } },
          { id: 'work', type: 'code.javascript', config: { source: 'return { doubled: input.n * 2 }' } },
        ],
        edges: [
          { from: 'start', to: 'pause' },
          { from: 'pause', to: 'work' },
        ],
      })
    ).workflowId;
    // Children of the run in flight at once, seen from the engine's events.
    const inFlight = new Set<string>();
    let most = 0;
    let parentId = '';
    const unsubscribe = h.runtime.subscribe((event) => {
      if (event.type !== 'run' || event.run.parentRunId !== parentId) return;
      if (finishedRunStatuses.has(event.run.status)) inFlight.delete(event.runId);
      else inFlight.add(event.runId);
      most = Math.max(most, inFlight.size);
    });
    try {
      const started: RunRecord = await h.start(
        callerDoc('logic.forEach', { workflowId: child, items: '{{ input.items }}', concurrency: 2 }),
        { items: [1, 2, 3, 4, 5].map((n) => ({ n })) },
      );
      parentId = started.id;
      const done = await h.runtime.waitForRun(started.id, { timeoutMs: 30_000 });
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      const output = (await h.steps(started.id)).get('call')!.output as {
        results: unknown[];
        errors: unknown[];
        runIds: string[];
      };
      expect(output.results).toEqual([2, 4, 6, 8, 10].map((doubled) => ({ doubled })));
      expect(output.errors).toEqual([]);
      expect(output.runIds).toHaveLength(5);
      const children = await childrenOf(started.id);
      expect(children.map((row) => row.id).sort()).toEqual([...output.runIds].sort());
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(2);
    } finally {
      unsubscribe();
    }
  });

  it('collects item failures with onItemError collect', async () => {
    const { run, steps } = await h.runToEnd(
      callerDoc('logic.forEach', { workflowId: failer, concurrency: 3, onItemError: 'collect' }),
      [{ n: 1 }, { n: 3 }, { n: 5 }] as never,
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const output = steps.get('call')!.output as {
      results: unknown[];
      errors: Array<{ index: number; message: string }>;
    };
    expect(output.results).toEqual([1, null, 5]);
    expect(output.errors).toHaveLength(1);
    expect(output.errors[0]).toMatchObject({ index: 1 });
    expect(output.errors[0]!.message).toContain('no threes');
  });

  it('fails the step on the first failed item with onItemError fail', async () => {
    const { run, steps } = await h.runToEnd(
      callerDoc('logic.forEach', { workflowId: failer, items: [{ n: 3 }, { n: 4 }], concurrency: 1 }),
      {},
    );
    expect(run.status).toBe('failed');
    expect(steps.get('call')!.error!.message).toMatch(/Item 0: Sub-workflow run .* failed: .*no threes/);
    // Concurrency 1: the second item never started.
    expect(await childrenOf(run.id)).toHaveLength(1);
  });

  it('refuses a bad config and a non-list input', async () => {
    const result = validateWorkflow(
      callerDoc('logic.forEach', { workflowId: doubler, concurrency: 0 }),
      createNodeRegistry(testNodeTypes),
    );
    expect(result.ok ? [] : result.issues.map((issue) => issue.field)).toContain('config.concurrency');
    const { run, steps } = await h.runToEnd(callerDoc('logic.forEach', { workflowId: doubler }), {
      not: 'a list',
    });
    expect(run.status).toBe('failed');
    expect(steps.get('call')!.error).toMatchObject({ code: 'config', field: 'config.items' });
  });
});
