import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalStore } from '../api/approvals/store.js';
import { createNodeServices } from '../api/services.js';
import { APPROVAL_SIGNAL } from '../nodes/flow/approval.js';
import { PgRunStore } from '../api/db/pg-run-store.js';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { Json } from '../engine/json.js';
import { Runtime } from '../engine/runtime.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import type { StepRecord } from '../engine/store.js';
import { validateWorkflow } from '../engine/validate.js';
import type { StoredWait } from '../engine/waits.js';
import { EVENT_SIGNAL, eventMatches } from '../nodes/flow/wait-for-event.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';
import { testNodeTypes } from './helpers/test-nodes.js';

function waitDoc(config: Record<string, unknown>): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'wait for event',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'wait', type: 'flow.waitForEvent', config },
      {
        id: 'paid',
        type: 'data.set',
        config: { fields: [{ name: 'paidBy', value: '{{ input.data.email }}' }] },
      },
      { id: 'late', type: 'data.set', config: { fields: [{ name: 'late', value: true }] } },
    ],
    edges: [
      { from: 'start', to: 'wait' },
      { from: 'wait', fromPort: 'out', to: 'paid' },
      { from: 'wait', fromPort: 'timeout', to: 'late' },
    ],
  };
}

function event(name: string, data: Record<string, Json>): Json {
  return {
    id: `e-${Math.random()}`,
    name,
    data,
    occurredAt: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
  };
}

let h: Harness;
/** Reminder emails a real SMTP server on 127.0.0.1 accepted: recipients and subject. */
const mails: Array<{ to: string[]; subject: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, session, callback) => {
    let raw = '';
    stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    stream.on('end', () => {
      const subject = /^Subject: (.*)$/im.exec(raw)?.[1] ?? '';
      mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), subject });
      callback();
    });
  },
});

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  h = await createHarness();
  Object.assign(
    h.services,
    createNodeServices({
      knex: h.db.knex,
      secrets: h.secrets,
      env: { SMTP_URL: `smtp://127.0.0.1:${port}` },
    }),
  );
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** Post an event the way the events API does (api/events/service.ts). */
function post(runtime: Runtime, workspaceId: string, posted: Json) {
  const name = (posted as { name: string }).name;
  return runtime.signal(workspaceId, EVENT_SIGNAL, name, posted, {
    matches: (match) => eventMatches(match, posted),
  });
}

async function waitingStep(runId: string): Promise<StepRecord> {
  await h.runtime.waitForRun(runId, { orWaiting: true, timeoutMs: 10_000 });
  return (await h.steps(runId)).get('wait')!;
}

describe('flow.waitForEvent', () => {
  it('suspends holding nothing, ignores other events and resumes on the matching one', async () => {
    const run = await h.start(waitDoc({ event: 'invoice.paid', correlationKey: '{{ input.email }}' }), {
      email: 'ada@example.com',
    });
    const step = await waitingStep(run.id);
    expect(step.status).toBe('waiting');
    expect((await h.db.store.getRun(run.id))!.status).toBe('waiting');
    expect(h.runtime.engine.runningCount).toBe(0);

    // Another person's payment and another event name leave it waiting.
    expect(await post(h.runtime, h.workspaceId, event('invoice.paid', { email: 'bob@example.com' }))).toEqual(
      [],
    );
    expect(
      await post(h.runtime, h.workspaceId, event('invoice.voided', { email: 'ada@example.com' })),
    ).toEqual([]);
    expect((await h.db.store.getRun(run.id))!.status).toBe('waiting');

    const delivered = await post(
      h.runtime,
      h.workspaceId,
      event('invoice.paid', { email: 'ada@example.com' }),
    );
    expect(delivered.map((item) => item.runId)).toEqual([run.id]);
    const done = await h.runtime.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const steps = await h.steps(run.id);
    expect(steps.get('wait')!.ports).toEqual(['out']);
    expect(steps.get('wait')!.output).toMatchObject({
      name: 'invoice.paid',
      data: { email: 'ada@example.com' },
    });
    expect(steps.get('paid')!.output).toMatchObject({ paidBy: 'ada@example.com' });
    expect(steps.get('late')!.status).toBe('skipped');
  });

  it('matches with a json-logic condition on the event', async () => {
    const run = await h.start(
      waitDoc({ event: 'plan.changed', condition: { '==': [{ var: 'input.data.plan' }, 'pro'] } }),
      {},
    );
    await waitingStep(run.id);
    expect(await post(h.runtime, h.workspaceId, event('plan.changed', { plan: 'starter' }))).toEqual([]);
    expect(
      await post(h.runtime, h.workspaceId, event('plan.changed', { plan: 'pro', email: 'x@y.z' })),
    ).toHaveLength(1);
    expect((await h.runtime.waitForRun(run.id, { timeoutMs: 10_000 })).status).toBe('succeeded');
  });

  it('goes to `timeout` when no matching event comes in time', async () => {
    const run = await h.start(waitDoc({ event: 'invoice.paid', timeoutMs: 300 }), {
      email: 'late@example.com',
    });
    await waitingStep(run.id);
    // The sweeper finds the due wait and resumes it; the node's onTimeout emits the input.
    const done = await h.runtime.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('succeeded');
    const steps = await h.steps(run.id);
    expect(steps.get('wait')!.ports).toEqual(['timeout']);
    expect(steps.get('wait')!.output).toEqual({ email: 'late@example.com' });
    expect(steps.get('late')!.output).toMatchObject({ late: true });
    // A signal after the timeout reaches nothing.
    expect(
      await post(h.runtime, h.workspaceId, event('invoice.paid', { email: 'late@example.com' })),
    ).toEqual([]);
  });

  it('refuses a bad config, naming the field', () => {
    const registry = createNodeRegistry(testNodeTypes);
    const result = validateWorkflow(waitDoc({ event: 'not a name', correlationPath: 'data..x' }), registry);
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.issues.map((issue) => `${issue.nodeId}:${issue.field}`);
    expect(fields).toEqual(expect.arrayContaining(['wait:config.event', 'wait:config.correlationPath']));
  });
});

describe('signal waits', () => {
  it('survive the executor: a fresh engine over the same database resumes the run', async () => {
    const run = await h.start(
      waitDoc({ event: 'deal.won', correlationKey: '{{ input.deal }}', correlationPath: 'data.deal' }),
      {
        deal: 'd-1',
      },
    );
    await waitingStep(run.id);
    expect(h.runtime.engine.runningCount).toBe(0);
    // Nothing of the run lives in the first runtime: another one, with its own store, resumes it.
    const sandbox = new IsolateSandbox();
    const other = new Runtime({
      registry: createNodeRegistry(testNodeTypes),
      store: new PgRunStore(h.db.knex),
      sandbox,
      // A copy: the runtime adds its own childRuns service to the object it is given.
      services: { ...h.services },
      sweepIntervalMs: 60_000,
    });
    try {
      await other.start();
      const delivered = await post(other, h.workspaceId, event('deal.won', { deal: 'd-1', email: 'w@x.y' }));
      expect(delivered).toHaveLength(1);
      const done = await other.waitForRun(run.id, { timeoutMs: 10_000 });
      expect(done.status).toBe('succeeded');
      expect((await h.steps(run.id)).get('wait')!.output).toMatchObject({ data: { deal: 'd-1' } });
    } finally {
      await other.stop();
      sandbox.dispose();
    }
  });

  it('are taken exactly once by racing signals', async () => {
    const run = await h.start(waitDoc({ event: 'race.won' }), {});
    await waitingStep(run.id);
    const results = await Promise.all(
      ['a@x.y', 'b@x.y', 'c@x.y'].map((email) =>
        post(h.runtime, h.workspaceId, event('race.won', { email })),
      ),
    );
    expect(results.flat()).toHaveLength(1);
    const done = await h.runtime.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('succeeded');
    const winner = results.findIndex((delivered) => delivered.length === 1);
    expect((await h.steps(run.id)).get('paid')!.output).toMatchObject({
      paidBy: ['a@x.y', 'b@x.y', 'c@x.y'][winner],
    });
  });

  it('lose to a timer that took the wait first: the late signal changes nothing', async () => {
    const run = await h.start(waitDoc({ event: 'slow.event', timeoutMs: 3_600_000 }), { who: 'timer' });
    const step = await waitingStep(run.id);
    const waitId = (step.wait as unknown as StoredWait).waitId!;
    // The executor resuming by time settles the wait first (as prepareSignalResume does) ...
    const settled = await h.db.store.waits.settle(run.id, [{ waitId, timeUp: true }]);
    expect(settled).toEqual([{ waitId, state: 'timed_out', payload: null }]);
    // ... so the signal that comes a moment later cannot take it.
    expect(await h.db.store.waits.deliver(waitId, { late: true })).toBeUndefined();
    expect(await post(h.runtime, h.workspaceId, event('slow.event', {}))).toEqual([]);
    await h.runtime.cancel(run.id);
  });
});

describe('flow.approval reminders', () => {
  it('emails the approvers at the interval, at most maxReminders, then resumes on the decision', async () => {
    const run = await h.start(
      {
        schemaVersion: 1,
        name: 'approval with reminders',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          {
            id: 'ask',
            type: 'flow.approval',
            config: {
              title: 'Budget for {{ input.team }}',
              approvers: ['cfo@example.com'],
              remindEveryMs: 1_000,
              maxReminders: 2,
              reminderFrom: 'revflow@example.com',
            },
          },
        ],
        edges: [{ from: 'start', to: 'ask' }],
      },
      { team: 'growth' },
    );
    await h.runtime.waitForRun(run.id, { orWaiting: true, timeoutMs: 10_000 });
    const store = new ApprovalStore(h.db.knex);
    const [approval] = (await store.list(h.workspaceId, { status: 'pending', limit: 50 })).filter(
      (item) => item.runId === run.id,
    );
    expect(approval).toMatchObject({ title: 'Budget for growth', approvers: ['cfo@example.com'] });
    // Two reminders come (the sweeper resumes the step at each), then no more.
    const reminders = () => mails.filter((mail) => mail.to.includes('cfo@example.com'));
    await expect.poll(() => reminders().length, { timeout: 10_000 }).toBe(2);
    expect(reminders()[0]).toEqual({
      to: ['cfo@example.com'],
      subject: 'Reminder: approval needed: Budget for growth',
    });
    expect((await h.db.store.getRun(run.id))!.status).toBe('waiting');
    expect((await store.get(h.workspaceId, approval!.id))!.remindersSent).toBe(2);

    // The decision after the step re-waited: the signal finds the new wait.
    const decided = await store.decide(h.workspaceId, approval!.id, {
      status: 'rejected',
      userId: null,
      email: 'cfo@example.com',
      apiKeyId: null,
      comment: 'next quarter',
    });
    expect(decided.ok).toBe(true);
    await h.runtime.signal(h.workspaceId, APPROVAL_SIGNAL, approval!.id, { status: 'rejected' });
    const done = await h.runtime.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('succeeded');
    const step = (await h.steps(run.id)).get('ask')!;
    expect(step.ports).toEqual(['rejected']);
    expect(step.output).toMatchObject({
      status: 'rejected',
      comment: 'next quarter',
      decidedBy: 'cfo@example.com',
    });
    expect(step.interruptions).toBe(0);
    expect(reminders()).toHaveLength(2);
  });
});
