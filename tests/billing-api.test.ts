import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { sweepBilling } from '../api/billing/lifecycle.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type ApiClient,
  type Team,
  type TestApi,
} from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;

const billingUrl = (workspaceId: string): string => `/api/v1/workspaces/${workspaceId}/billing`;

/** Create, publish and (by default) activate a workflow; returns its id. */
async function workflow(
  client: ApiClient,
  workspaceId: string,
  document: object,
  activate = true,
): Promise<string> {
  const base = `/api/v1/workspaces/${workspaceId}/workflows`;
  const created = await client.post<Body>(base, document);
  expect(created.status, created.text).toBe(201);
  const published = await client.post<Body>(`${base}/${created.body.id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  if (activate) expect((await client.post<Body>(`${base}/${created.body.id}/activate`)).status).toBe(200);
  return created.body.id as string;
}

function onEvent(name: string): object {
  return {
    schemaVersion: 1,
    name: `On ${name}`,
    nodes: [
      { id: 'start', type: 'trigger.event', config: { event: name } },
      { id: 'work', type: 'code.javascript', config: { source: 'return { got: input.data }' } },
    ],
    edges: [{ from: 'start', to: 'work' }],
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function eventsNamed(client: ApiClient, workspaceId: string, name: string): Promise<Body[]> {
  const response = await client.get<Body>(`/api/v1/workspaces/${workspaceId}/events?name=${name}`);
  expect(response.status).toBe(200);
  return response.body.items as Body[];
}

async function runsOf(client: ApiClient, workspaceId: string, workflowId: string): Promise<Body[]> {
  const response = await client.get<Body>(`/api/v1/workspaces/${workspaceId}/runs?workflowId=${workflowId}`);
  return response.body.items as Body[];
}

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
});
afterAll(() => server?.close());

describe('GET /billing', () => {
  it('shows owners and admins the plan, the trial, seats, usage per meter and the plans, in local mode', async () => {
    const response = await team.owner.client.get<Body>(billingUrl(team.workspaceId));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      mode: 'local',
      plan: 'professional',
      effectivePlan: 'professional',
      seats: { used: 4, members: 4, pendingInvitations: 0, included: 20, limit: 20 },
    });
    expect(response.body.usage.map((meter: Body) => meter.meter)).toEqual([
      'emails',
      'leads',
      'campaigns',
      'workflow_runs',
      'ai_generations',
    ]);
    expect(response.body.usage[0]).toMatchObject({ used: 0, limit: 50_000 });
    expect(response.body.plans.map((plan: Body) => plan.id)).toEqual([
      'free',
      'starter',
      'professional',
      'enterprise',
    ]);
    expect((await team.admin.client.get(billingUrl(team.workspaceId))).status).toBe(200);
  });

  it('refuses members and viewers (403) and outsiders (404)', async () => {
    const member = await team.member.client.get(billingUrl(team.workspaceId));
    expect(member.status).toBe(403);
    expect(member.body.detail).toMatch(/admin role/);
    expect((await team.viewer.client.get(billingUrl(team.workspaceId))).status).toBe(403);
    expect((await team.outsider.client.get(billingUrl(team.workspaceId))).status).toBe(404);
    expect((await server.client().get(billingUrl(team.workspaceId))).status).toBe(401);
  });
});

describe('POST /billing/usage', () => {
  it('counts a key once for members, refuses viewers, and names wrong fields', async () => {
    const url = `${billingUrl(team.workspaceId)}/usage`;
    const first = await team.member.client.post<Body>(url, {
      meter: 'leads',
      idempotencyKey: 'crm-1',
      subject: 'a@x.io',
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ counted: true, quota: { ok: true, used: 1, limit: 10_000 } });
    const again = await team.member.client.post<Body>(url, {
      meter: 'leads',
      idempotencyKey: 'crm-1',
      subject: 'a@x.io',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ counted: false, quota: { used: 1 } });
    expect((await team.viewer.client.post(url, { meter: 'leads', idempotencyKey: 'v' })).status).toBe(403);

    const bad = await team.member.client.post(url, { meter: 'workflow_runs', idempotencyKey: '' });
    expect(bad.status).toBe(400);
    expect(invalidFields(bad.body)).toEqual(['body.idempotencyKey', 'body.meter']);
    const late = await team.member.client.post(url, {
      meter: 'emails',
      idempotencyKey: 'late',
      occurredAt: new Date(Date.now() - 72 * 3_600_000).toISOString(),
    });
    expect(late.status).toBe(400);
    expect(invalidFields(late.body)).toEqual(['body.occurredAt']);

    const report = await team.viewer.client.get<Body>(url);
    expect(report.status).toBe(403);
    const usage = await team.member.client.get<Body>(url);
    expect(usage.body.meters.find((meter: Body) => meter.meter === 'leads')).toMatchObject({ used: 1 });
  });
});

describe('POST /billing/usage past a hard limit', () => {
  it('refuses usage past Free’s limit with 402 naming the limit and plan, counting nothing, as billing.checkQuota says', async () => {
    const free = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(free.workspaceId, { planId: 'free' });
    const url = `${billingUrl(free.workspaceId)}/usage`;
    const bulk = await free.member.client.post<Body>(url, {
      meter: 'ai_generations',
      quantity: 49,
      idempotencyKey: 'bulk-49',
    });
    expect(bulk.status).toBe(201);
    const last = await free.member.client.post<Body>(url, {
      meter: 'ai_generations',
      idempotencyKey: 'one-more',
    });
    expect(last.status).toBe(201);
    expect(last.body.quota).toMatchObject({ ok: true, used: 50, limit: 50, overage: false });

    const refused = await free.member.client.post<Body>(url, {
      meter: 'ai_generations',
      idempotencyKey: 'past',
    });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({
      meter: 'ai_generations',
      plan: 'free',
      limit: 50,
      used: 50,
      upgradeTo: 'starter',
    });
    expect(refused.body.detail).toBe(
      'Free plan allows 50 AI generations per month; upgrade to Starter for 500',
    );
    // One email event over the 100 emails of Free is refused the same way (the 101/100).
    for (let i = 0; i < 100; i += 1)
      expect(
        (await free.member.client.post<Body>(url, { meter: 'emails', idempotencyKey: `mail-${i}` })).status,
      ).toBe(201);
    expect(
      (await free.member.client.post<Body>(url, { meter: 'emails', idempotencyKey: 'mail-101' })).status,
    ).toBe(402);
    const report = await free.member.client.get<Body>(url);
    expect(report.body.meters.find((meter: Body) => meter.meter === 'ai_generations')).toMatchObject({
      used: 50,
      limit: 50,
      overage: 0,
    });
    expect(report.body.meters.find((meter: Body) => meter.meter === 'emails')).toMatchObject({
      used: 100,
      limit: 100,
    });
    // A key counted before is still answered as a repeat, not refused.
    expect(
      (await free.member.client.post<Body>(url, { meter: 'ai_generations', idempotencyKey: 'one-more' }))
        .status,
    ).toBe(200);

    // billing.checkQuota, run as a node, says the same thing.
    const quota = await runCheckQuota(free, { meter: 'ai_generations', quantity: 1 });
    expect(quota.ports).toEqual(['exceeded']);
  });

  it('counts usage past the limit as overage on a plan that bills it', async () => {
    const pro = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(pro.workspaceId, { planId: 'professional' });
    const url = `${billingUrl(pro.workspaceId)}/usage`;
    const all = await pro.member.client.post<Body>(url, {
      meter: 'ai_generations',
      quantity: 5_000,
      idempotencyKey: 'all',
    });
    expect(all.status).toBe(201);
    const over = await pro.member.client.post<Body>(url, {
      meter: 'ai_generations',
      quantity: 10,
      idempotencyKey: 'more',
    });
    expect(over.status).toBe(201);
    expect(over.body.quota).toMatchObject({ ok: true, used: 5_010, limit: 5_000, overage: true });
  });

  it('lets exactly the limit through when requests race', async () => {
    const free = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(free.workspaceId, { planId: 'free' });
    const url = `${billingUrl(free.workspaceId)}/usage`;
    await free.member.client.post<Body>(url, {
      meter: 'ai_generations',
      quantity: 40,
      idempotencyKey: 'base',
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        free.member.client.post<Body>(url, { meter: 'ai_generations', idempotencyKey: `race-${i}` }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(10);
    expect(answers.filter((answer) => answer.status === 402)).toHaveLength(10);
    const report = await free.member.client.get<Body>(url);
    expect(report.body.meters.find((meter: Body) => meter.meter === 'ai_generations').used).toBe(50);
  });
});

/** Publish and run a one-node billing.checkQuota workflow; answers the step's ports and output. */
async function runCheckQuota(owner: Team, config: object): Promise<{ ports: string[]; output: Body }> {
  const ws = `/api/v1/workspaces/${owner.workspaceId}`;
  const id = await workflow(
    owner.member.client,
    owner.workspaceId,
    {
      schemaVersion: 1,
      name: 'Check quota',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'check', type: 'billing.checkQuota', config },
      ],
      edges: [{ from: 'start', to: 'check' }],
    },
    false,
  );
  const started = await owner.member.client.post<Body>(`${ws}/workflows/${id}/runs`, { input: {} });
  expect(started.status).toBe(202);
  const until = Date.now() + 15_000;
  for (;;) {
    const run = await owner.member.client.get<Body>(`${ws}/runs/${started.body.id}`);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status)) {
      const step = run.body.steps.find((candidate: Body) => candidate.nodeId === 'check');
      return { ports: step.ports ?? [], output: step.output };
    }
    if (Date.now() > until) throw new Error(`run still ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('feature gates', () => {
  it('refuses publishing a gated node on Free, naming the node and the plan that has it', async () => {
    const owner = server.client();
    const account = await owner.signup();
    await billingFor(server.db.knex).accounts.setPlan(account.workspaceId, { planId: 'free' });
    const base = `/api/v1/workspaces/${account.workspaceId}/workflows`;
    const created = await owner.post<Body>(base, {
      schemaVersion: 1,
      name: 'Wait a day',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'pause', type: 'flow.delay', config: { ms: 86_400_000 } },
      ],
      edges: [{ from: 'start', to: 'pause' }],
    });
    const refused = await owner.post<Body>(`${base}/${created.body.id}/publish`, {});
    expect(refused.status).toBe(402);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ plan: 'free', requiredPlan: 'professional', nodeId: 'pause' });
    expect(refused.body.detail).toBe(
      'The node "pause" (flow.delay) needs Workflows (waits and approvals), which the Free plan does not include; upgrade to Professional to publish it',
    );
    // Trying it is an expansion opportunity.
    const expansions = await owner.get<Body>(`/api/v1/workspaces/${account.workspaceId}/billing/expansions`);
    expect(expansions.body.items).toEqual([
      expect.objectContaining({
        kind: 'add_feature',
        suggestedPlan: 'professional',
        potentialValueCents: 29_900,
      }),
    ]);
    // On the plan that has it, it publishes.
    await billingFor(server.db.knex).accounts.setPlan(account.workspaceId, { planId: 'professional' });
    expect((await owner.post(`${base}/${created.body.id}/publish`, {})).status).toBe(201);
  });
});

describe('trials', () => {
  it('starts on sign-up, warns before the end, and falls back to Free at the end keeping workflows and data', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const ws = account.workspaceId;
    const started = await owner.get<Body>(billingUrl(ws));
    expect(started.body).toMatchObject({
      plan: 'free',
      status: 'trialing',
      effectivePlan: 'professional',
      trialDaysLeft: 14,
    });

    const onWillEnd = await workflow(owner, ws, onEvent('billing.trial_will_end'));
    const onEnded = await workflow(owner, ws, onEvent('billing.trial_ended'));
    const knex = server.db.knex;
    const billing = billingFor(knex);

    await knex('billing_accounts')
      .where({ workspace_id: ws })
      .update({ trial_ends_at: new Date(Date.now() + 2 * 86_400_000) });
    await sweepBilling(knex, billing);
    await sweepBilling(knex, billing);
    const warned = await eventsNamed(owner, ws, 'billing.trial_will_end');
    expect(warned).toHaveLength(1);
    expect(warned[0].data).toMatchObject({ daysLeft: 2, trialPlan: 'professional', fallbackPlan: 'free' });
    expect(
      await until(
        () => runsOf(owner, ws, onWillEnd),
        (runs) => runs.length === 1,
      ),
    ).toHaveLength(1);

    await knex('billing_accounts')
      .where({ workspace_id: ws })
      .update({ trial_ends_at: new Date(Date.now() - 1000) });
    await sweepBilling(knex, billing);
    const ended = await owner.get<Body>(billingUrl(ws));
    expect(ended.body).toMatchObject({
      plan: 'free',
      status: 'free',
      effectivePlan: 'free',
      trialDaysLeft: null,
    });
    expect(ended.body.usage[0]).toMatchObject({ limit: 100 });
    expect(await eventsNamed(owner, ws, 'billing.trial_ended')).toHaveLength(1);
    expect(
      await until(
        () => runsOf(owner, ws, onEnded),
        (runs) => runs.length === 1,
      ),
    ).toHaveLength(1);
    // Nothing was deleted: the workflows are there and still active.
    const list = await owner.get<Body>(`/api/v1/workspaces/${ws}/workflows`);
    expect(list.body.items.map((item: Body) => item.id).sort()).toEqual([onWillEnd, onEnded].sort());
    expect(list.body.items.every((item: Body) => item.status === 'active')).toBe(true);
  });
});

describe('expansion opportunities', () => {
  it('emits billing.expansion_opportunity once when a quota passes 80%', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const ws = account.workspaceId;
    const handler = await workflow(owner, ws, onEvent('billing.expansion_opportunity'));
    await billingFor(server.db.knex).accounts.setPlan(ws, { planId: 'free' });
    const url = `${billingUrl(ws)}/usage`;
    // Free: 50 AI generations. 78% stays quiet, 82% crosses, 90% does not repeat it.
    await owner.post(url, { meter: 'ai_generations', quantity: 39, idempotencyKey: 'g1' });
    expect(await eventsNamed(owner, ws, 'billing.expansion_opportunity')).toHaveLength(0);
    await owner.post(url, { meter: 'ai_generations', quantity: 2, idempotencyKey: 'g2' });
    await owner.post(url, { meter: 'ai_generations', quantity: 4, idempotencyKey: 'g3' });
    const events = await until(
      () => eventsNamed(owner, ws, 'billing.expansion_opportunity'),
      (items) => items.length > 0,
    );
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({
      kind: 'upgrade_tier',
      currentPlan: 'free',
      suggestedPlan: 'starter',
      currentValueCents: 0,
      potentialValueCents: 4_900,
      meter: 'ai_generations',
      used: 41,
      limit: 50,
    });
    const runs = await until(
      () => runsOf(owner, ws, handler),
      (items) => items.length > 0,
    );
    expect(runs).toHaveLength(1);
    await billingFor(server.db.knex).outbox.flush();
    expect(await eventsNamed(owner, ws, 'billing.expansion_opportunity')).toHaveLength(1);
  });

  it('offers seats (here: a plan with more) when seats are full and invitations wait', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const ws = account.workspaceId;
    const invite = (n: number) =>
      owner.post(`/api/v1/workspaces/${ws}/invitations`, {
        email: `seat-${n}-${Date.now()}@example.com`,
        role: 'member',
      });
    expect((await invite(1)).status).toBe(201);
    expect((await invite(2)).status).toBe(201);
    // 1 member + 2 pending = Free's 3 seats.
    expect((await invite(3)).status).toBe(402);
    await sweepBilling(server.db.knex, billingFor(server.db.knex));
    const expansions = await owner.get<Body>(`/api/v1/workspaces/${ws}/billing/expansions`);
    expect(expansions.body.items).toEqual([
      expect.objectContaining({
        kind: 'add_seats',
        currentPlan: 'free',
        suggestedPlan: 'starter',
        potentialValueCents: 4_900,
      }),
    ]);
    const events = await until(
      () => eventsNamed(owner, ws, 'billing.expansion_opportunity'),
      (items) => items.length > 0,
    );
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({
      kind: 'add_seats',
      members: 1,
      pendingInvitations: 2,
      owners: [account.email],
    });
  });
});
