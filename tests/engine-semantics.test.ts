import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { createHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const manual = { id: 'start', type: 'trigger.manual', config: {} };

function doc(
  nodes: WorkflowDocumentInput['nodes'],
  edges: WorkflowDocumentInput['edges'],
  settings = {},
): WorkflowDocumentInput {
  return { schemaVersion: 1, name: 'test', nodes: [manual, ...nodes], edges, settings };
}

describe('branching', () => {
  const branching = doc(
    [
      { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.amount' }, 100] } } },
      { id: 'enterprise', type: 'data.set', config: { fields: [{ name: 'tier', value: 'enterprise' }] } },
      { id: 'selfServe', type: 'data.set', config: { fields: [{ name: 'tier', value: 'self-serve' }] } },
    ],
    [
      { from: 'start', to: 'big' },
      { from: 'big', fromPort: 'true', to: 'enterprise' },
      { from: 'big', fromPort: 'false', to: 'selfServe' },
    ],
  );

  it('runs the true branch and skips the other when the condition holds', async () => {
    const { run, steps } = await h.runToEnd(branching, { amount: 150 });
    expect(run.status).toBe('succeeded');
    expect(steps.get('big')?.ports).toEqual(['true']);
    expect(steps.get('enterprise')?.output).toEqual({ amount: 150, tier: 'enterprise' });
    expect(steps.get('selfServe')?.status).toBe('skipped');
    expect(run.output).toEqual({ amount: 150, tier: 'enterprise' });
  });

  it('runs the false branch when the condition does not hold', async () => {
    const { steps } = await h.runToEnd(branching, { amount: 20 });
    expect(steps.get('enterprise')?.status).toBe('skipped');
    expect(steps.get('selfServe')?.output).toEqual({ amount: 20, tier: 'self-serve' });
  });

  it('records every step with its input, output, attempts and timings', async () => {
    const { run, steps } = await h.runToEnd(branching, { amount: 150 });
    const big = steps.get('big')!;
    expect(big).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      input: { amount: 150 },
      output: { amount: 150 },
    });
    expect(big.startedAt).toBeInstanceOf(Date);
    expect(big.finishedAt!.getTime()).toBeGreaterThanOrEqual(big.startedAt!.getTime());
    expect(run.versionId).toBeTruthy();
  });
});

describe('switch', () => {
  const routing = doc(
    [
      {
        id: 'route',
        type: 'logic.switch',
        config: {
          cases: [
            { port: 'churnRisk', condition: { '<': [{ var: 'input.score' }, 30] } },
            { port: 'upsell', condition: { '>': [{ var: 'input.score' }, 80] } },
          ],
        },
      },
      { id: 'save', type: 'data.set', config: { fields: [{ name: 'action', value: 'save' }] } },
      { id: 'offer', type: 'data.set', config: { fields: [{ name: 'action', value: 'offer' }] } },
      { id: 'nurture', type: 'data.set', config: { fields: [{ name: 'action', value: 'nurture' }] } },
    ],
    [
      { from: 'start', to: 'route' },
      { from: 'route', fromPort: 'churnRisk', to: 'save' },
      { from: 'route', fromPort: 'upsell', to: 'offer' },
      { from: 'route', fromPort: 'default', to: 'nurture' },
    ],
  );

  it.each([
    [10, 'save'],
    [95, 'offer'],
    [50, 'nurture'],
  ])('sends score %i to %s only', async (score, expected) => {
    const { steps } = await h.runToEnd(routing, { score });
    for (const id of ['save', 'offer', 'nurture']) {
      expect(steps.get(id)?.status).toBe(id === expected ? 'succeeded' : 'skipped');
    }
  });
});

describe('merge', () => {
  it('waits for both inputs and combines them', async () => {
    const { steps, run } = await h.runToEnd(
      doc(
        [
          { id: 'slowBranch', type: 'test.slow', config: { ms: 150 } },
          { id: 'enrich', type: 'code.javascript', config: { source: 'return { enriched: input.lead }' } },
          {
            id: 'delayed',
            type: 'data.set',
            config: { fields: [{ name: 'late', value: true }], keepInput: false },
          },
          { id: 'join', type: 'logic.merge', config: { combine: 'object' } },
        ],
        [
          { from: 'start', to: 'slowBranch' },
          { from: 'slowBranch', to: 'delayed' },
          { from: 'start', to: 'enrich' },
          { from: 'enrich', to: 'join' },
          { from: 'delayed', to: 'join' },
        ],
      ),
      { lead: 'ada@example.com' },
    );
    expect(run.status).toBe('succeeded');
    expect(steps.get('join')?.output).toEqual({ enriched: 'ada@example.com', late: true });
    expect(steps.get('join')!.startedAt!.getTime()).toBeGreaterThanOrEqual(
      steps.get('delayed')!.finishedAt!.getTime(),
    );
  });

  it('goes on with the branch taken when the other branch cannot fire', async () => {
    const { steps } = await h.runToEnd(
      doc(
        [
          { id: 'check', type: 'logic.if', config: { condition: { var: 'input.vip' } } },
          { id: 'vip', type: 'data.set', config: { fields: [{ name: 'lane', value: 'vip' }] } },
          { id: 'standard', type: 'data.set', config: { fields: [{ name: 'lane', value: 'standard' }] } },
          { id: 'join', type: 'logic.merge', config: { combine: 'array' } },
        ],
        [
          { from: 'start', to: 'check' },
          { from: 'check', fromPort: 'true', to: 'vip' },
          { from: 'check', fromPort: 'false', to: 'standard' },
          { from: 'vip', to: 'join' },
          { from: 'standard', to: 'join' },
        ],
      ),
      { vip: false },
    );
    expect(steps.get('vip')?.status).toBe('skipped');
    expect(steps.get('join')?.output).toEqual([{ vip: false, lane: 'standard' }]);
  });
});

describe('errors', () => {
  it('routes a failing node to its error port with the message and line', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'parse',
            type: 'code.javascript',
            config: { source: 'const x = 1;\nthrow new Error("bad lead: " + input.email)' },
            onError: 'route',
          },
          {
            id: 'handle',
            type: 'data.set',
            config: { fields: [{ name: 'handled', value: '{{ input.error.message }}' }], keepInput: false },
          },
        ],
        [
          { from: 'start', to: 'parse' },
          { from: 'parse', fromPort: 'error', to: 'handle' },
        ],
      ),
      { email: 'x@y' },
    );
    expect(run.status).toBe('succeeded');
    expect(steps.get('parse')).toMatchObject({ status: 'failed', ports: ['error'] });
    expect(steps.get('parse')?.error).toMatchObject({
      message: expect.stringContaining('bad lead: x@y'),
      line: 2,
    });
    expect(steps.get('handle')?.output).toEqual({ handled: expect.stringContaining('bad lead: x@y') });
  });

  it('fails the run with the failing node named when onError is fail', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          { id: 'boom', type: 'code.javascript', config: { source: 'return input.missing.field' } },
          { id: 'after', type: 'data.set', config: {} },
        ],
        [
          { from: 'start', to: 'boom' },
          { from: 'boom', to: 'after' },
        ],
      ),
      {},
    );
    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/Node "boom" failed: .*undefined/);
    expect(steps.get('after')).toBeUndefined();
  });

  it('continues past a failing node with onError continue', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'boom',
            type: 'code.javascript',
            config: { source: 'throw new Error("nope")' },
            onError: 'continue',
          },
          {
            id: 'after',
            type: 'data.set',
            config: { fields: [{ name: 'ok', value: true }], keepInput: false },
          },
        ],
        [
          { from: 'start', to: 'boom' },
          { from: 'boom', to: 'after' },
        ],
      ),
      {},
    );
    expect(run.status).toBe('succeeded');
    expect(steps.get('boom')?.status).toBe('failed');
    expect(steps.get('after')?.output).toEqual({ ok: true });
  });

  it('retries with backoff and counts the attempts', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'flaky',
            type: 'test.flaky',
            config: { failures: 2 },
            retry: { maxAttempts: 3, initialDelayMs: 20 },
          },
        ],
        [{ from: 'start', to: 'flaky' }],
      ),
      {},
    );
    expect(run.status).toBe('succeeded');
    const flaky = steps.get('flaky')!;
    expect(flaky.attempts).toBe(3);
    expect(flaky.logs.filter((log) => JSON.stringify(log).includes('failed'))).toHaveLength(2);
    // Exponential backoff: 20 ms then 40 ms (±25 %) before the third attempt.
    expect(flaky.finishedAt!.getTime() - flaky.startedAt!.getTime()).toBeGreaterThanOrEqual(40);
  });

  it('gives up after the last attempt', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'flaky',
            type: 'test.flaky',
            config: { failures: 5 },
            retry: { maxAttempts: 2, initialDelayMs: 1 },
          },
        ],
        [{ from: 'start', to: 'flaky' }],
      ),
      {},
    );
    expect(run.status).toBe('failed');
    expect(steps.get('flaky')).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { message: 'flaky failure 2' },
    });
  });

  it('fails a step that outgrows the output cap with a clear error', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [{ id: 'big', type: 'code.javascript', config: { source: 'return "x".repeat(5000)' } }],
        [{ from: 'start', to: 'big' }],
        {
          maxStepOutputBytes: 1000,
        },
      ),
      {},
    );
    expect(run.status).toBe('failed');
    expect(steps.get('big')?.error).toMatchObject({
      code: 'output_too_large',
      message: expect.stringContaining('1000 bytes'),
    });
  });

  it('fails a step whose config is wrong after its expressions are evaluated, naming the field', async () => {
    const { steps } = await h.runToEnd(
      doc(
        [{ id: 'wait', type: 'flow.delay', config: { ms: '{{ input.delay }}' } }],
        [{ from: 'start', to: 'wait' }],
      ),
      { delay: 'soon' },
    );
    expect(steps.get('wait')?.error).toMatchObject({ code: 'config', field: 'config.ms' });
  });
});

describe('expressions in config', () => {
  it('keeps the type of a value that is one template and renders mixed text', async () => {
    const { steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'shape',
            type: 'data.set',
            config: {
              keepInput: false,
              fields: [
                { name: 'double', value: '{{ input.amount * 2 }}' },
                { name: 'greeting', value: 'Hi {{ input.name }}, you owe {{ input.amount }}' },
                { name: 'fromTrigger', value: '{{ trigger.name }}' },
                { name: 'workflowRun', value: '{{ typeof run.id }}' },
              ],
            },
          },
          {
            id: 'next',
            type: 'data.set',
            config: {
              keepInput: false,
              fields: [{ name: 'seen', value: '{{ nodes.shape.output.double }}' }],
            },
          },
        ],
        [
          { from: 'start', to: 'shape' },
          { from: 'shape', to: 'next' },
        ],
      ),
      { amount: 21, name: 'Ada' },
    );
    expect(steps.get('shape')?.output).toEqual({
      double: 42,
      greeting: 'Hi Ada, you owe 21',
      fromTrigger: 'Ada',
      workflowRun: 'string',
    });
    expect(steps.get('next')?.output).toEqual({ seen: 42 });
  });
});

describe('timeouts and cancellation', () => {
  it('fails a node that runs past its timeout', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        [{ id: 'slow', type: 'test.slow', config: { ms: 5000 }, timeoutMs: 100 }],
        [{ from: 'start', to: 'slow' }],
      ),
      {},
    );
    expect(run.status).toBe('failed');
    expect(steps.get('slow')?.error).toMatchObject({
      code: 'timeout',
      message: 'The step timed out after 100 ms',
    });
  });

  it('times out the whole run at the run timeout', async () => {
    const { run, steps } = await h.runToEnd(
      doc([{ id: 'slow', type: 'test.slow', config: { ms: 5000 } }], [{ from: 'start', to: 'slow' }], {
        timeoutMs: 200,
      }),
      {},
    );
    expect(run.status).toBe('timed_out');
    expect(steps.get('slow')?.error).toMatchObject({ code: 'timed_out' });
  });

  it('cancels a running run', async () => {
    const started = await h.start(
      doc([{ id: 'slow', type: 'test.slow', config: { ms: 10_000 } }], [{ from: 'start', to: 'slow' }]),
      {},
    );
    await h.untilStep(started.id, 'slow', 'running');
    await h.runtime.cancel(started.id);
    const run = await h.runtime.waitForRun(started.id, { timeoutMs: 5000 });
    expect(run.status).toBe('cancelled');
    const steps = await h.steps(started.id);
    expect(steps.get('slow')?.status).toBe('cancelled');
  });
});

describe('sandbox limits per node', () => {
  const allocate =
    'const a = []; for (let i = 0; i < 400000; i++) a.push({ i, half: i / 2 }); return a.length';

  it("holds a node that asks for more CPU time than the server's to the server's limit", async () => {
    const busy = 'const end = Date.now() + 1300; let n = 0; while (Date.now() < end) n++; return n > 0';
    const { steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'crunch',
            type: 'code.javascript',
            config: { source: busy },
            sandbox: { cpuTimeoutMs: 5000 },
          },
        ],
        [{ from: 'start', to: 'crunch' }],
      ),
      {},
    );
    // DESIGN §6: a node may lower the sandbox limits, never raise them (issue 11 item 3).
    expect(steps.get('crunch')?.status).toBe('failed');
    expect(steps.get('crunch')?.error).toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('1000ms'),
    });
  });

  it("stops a node's infinite loop at the node's own CPU limit", async () => {
    const { steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'spin',
            type: 'code.javascript',
            config: { source: 'for (;;) {}' },
            sandbox: { cpuTimeoutMs: 50 },
          },
        ],
        [{ from: 'start', to: 'spin' }],
      ),
      {},
    );
    expect(steps.get('spin')?.error).toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('50'),
    });
  });

  it("holds a node to its own memory limit while others keep the workspace's", async () => {
    const { steps } = await h.runToEnd(
      doc(
        [
          {
            id: 'roomy',
            type: 'code.javascript',
            config: { source: allocate },
            sandbox: { cpuTimeoutMs: 10_000 },
          },
          {
            id: 'tight',
            type: 'code.javascript',
            config: { source: allocate },
            sandbox: { memoryMb: 16, cpuTimeoutMs: 10_000 },
            onError: 'continue',
          },
        ],
        [
          { from: 'start', to: 'roomy' },
          { from: 'roomy', to: 'tight' },
        ],
      ),
      {},
    );
    expect(steps.get('roomy')?.output).toBe(400000);
    // Squeezed into 16 MB the same code dies of its memory limit (or of GC thrashing against it).
    expect(steps.get('tight')?.status).toBe('failed');
    expect(['sandbox_memory', 'timeout']).toContain(steps.get('tight')?.error?.code);
  });
});

describe('delay', () => {
  it('suspends the run without holding an executor and resumes after its time', async () => {
    const started = await h.start(
      doc(
        [
          { id: 'pause', type: 'flow.delay', config: { ms: 400 } },
          { id: 'after', type: 'data.set', config: { fields: [{ name: 'resumed', value: true }] } },
        ],
        [
          { from: 'start', to: 'pause' },
          { from: 'pause', to: 'after' },
        ],
      ),
      { lead: 7 },
    );
    const waiting = await h.runtime.waitForRun(started.id, { orWaiting: true, timeoutMs: 5000 });
    expect(waiting.status).toBe('waiting');
    expect(waiting.wakeAt).toBeInstanceOf(Date);
    expect(h.runtime.engine.runningCount).toBe(0);
    expect((await h.steps(started.id)).get('pause')?.status).toBe('waiting');

    const finished = await h.runtime.waitForRun(started.id, { timeoutMs: 10_000 });
    expect(finished.status).toBe('succeeded');
    const steps = await h.steps(started.id);
    expect(steps.get('after')?.output).toEqual({ lead: 7, resumed: true });
    expect(steps.get('after')!.startedAt!.getTime()).toBeGreaterThanOrEqual(waiting.wakeAt!.getTime());
  });
});

describe('retry from the failed step', () => {
  it('keeps succeeded steps and runs the failed one again', async () => {
    h.services.attemptCounter!.clear();
    const failing = doc(
      [
        { id: 'once', type: 'test.flaky', config: { failures: 0 } },
        { id: 'flaky', type: 'test.flaky', config: { failures: 1 } },
      ],
      [
        { from: 'start', to: 'once' },
        { from: 'once', to: 'flaky' },
      ],
    );
    const { run } = await h.runToEnd(failing, { n: 1 });
    expect(run.status).toBe('failed');
    const retried = await h.runtime.retryRun(run.id);
    const finished = await h.runtime.waitForRun(retried.id, { timeoutMs: 5000 });
    expect(finished).toMatchObject({ status: 'succeeded', retryOf: run.id });
    const steps = await h.steps(retried.id);
    // `once` was not run again: it ran once in all.
    expect(steps.get('once')?.output).toMatchObject({ attempts: 1 });
    expect(steps.get('flaky')?.output).toMatchObject({ attempts: 2 });
  });
});
