import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type ApiClient, type Team, type TestApi } from './helpers/api.js';
import {
  eventFor,
  fixture,
  signedDelivery,
  startStripeStandIn,
  subscriptionWith,
  type StripeObject,
  type StripeStandIn,
} from './helpers/stripe-standin.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

const SECRET = 'whsec_revflow_test_secret';

let standIn: StripeStandIn;
let server: TestApi;
let team: Team;
let base: string;
let invoiceWorkflowId: string;
/** Stripe's clock for the events of this file: every event is newer than the one before. */
let clock = Math.floor(Date.now() / 1000) - 50_000;
const later = (): number => (clock += 10);

interface AccountRow {
  plan_id: string;
  status: string;
  seats: number;
  trial_ends_at: Date | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
}

const account = async (workspaceId: string): Promise<AccountRow> =>
  server.db.knex('billing_accounts').where({ workspace_id: workspaceId }).first<AccountRow>();

async function deliver(
  event: StripeObject,
  options: { secret?: string; timestamp?: number; signature?: string | null } = {},
): Promise<{ status: number; body: Body }> {
  const { body, signature } = signedDelivery(event, options.secret ?? SECRET, {
    ...(options.timestamp !== undefined && { timestamp: options.timestamp }),
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const header = options.signature === undefined ? signature : options.signature;
  if (header !== null) headers['stripe-signature'] = header;
  const response = await fetch(`${server.baseUrl}/hooks/stripe`, { method: 'POST', headers, body });
  return { status: response.status, body: await response.json() };
}

/** The workspace's Stripe customer, made the way the Billing page makes it (opening the portal). */
async function customerOf(owner: ApiClient, workspaceId: string): Promise<string> {
  const portal = await owner.post<Body>(`/api/v1/workspaces/${workspaceId}/billing/portal`, {});
  expect(portal.status).toBe(200);
  const row = await account(workspaceId);
  expect(row.stripe_customer_id).toMatch(/^cus_/);
  return row.stripe_customer_id!;
}

async function runsOf(workflowId: string): Promise<Array<{ id: string; status: string; input: Body }>> {
  const response = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${workflowId}`);
  expect(response.status).toBe(200);
  return response.body.items as Array<{ id: string; status: string; input: Body }>;
}

async function finishedRuns(
  workflowId: string,
  count: number,
): Promise<Array<{ id: string; status: string }>> {
  const until = Date.now() + 10_000;
  for (;;) {
    const runs = (await runsOf(workflowId)).filter(
      (run) => !['queued', 'running', 'waiting'].includes(run.status),
    );
    if (runs.length >= count || Date.now() > until) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  standIn = await startStripeStandIn();
  process.env.STRIPE_SECRET_KEY = 'sk_test_revflow';
  process.env.STRIPE_API_BASE = standIn.url;
  process.env.STRIPE_WEBHOOK_SECRET = SECRET;
  process.env.REVFLOW_STRIPE_METER_INTERVAL_MS = '0';
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  // The Stripe-triggered workflow exists before the first event (active triggers are cached).
  const created = await team.member.client.post<Body>(`${base}/workflows`, {
    schemaVersion: 1,
    name: 'Payment problems',
    nodes: [
      { id: 'stripe', type: 'trigger.stripe', config: { events: ['invoice.*'] } },
      {
        id: 'work',
        type: 'code.javascript',
        config: { source: 'return { type: input.type, id: input.id }' },
      },
    ],
    edges: [{ from: 'stripe', to: 'work' }],
  });
  expect(created.status).toBe(201);
  invoiceWorkflowId = created.body.id as string;
  expect(
    (await team.member.client.post<Body>(`${base}/workflows/${invoiceWorkflowId}/publish`, {})).status,
  ).toBe(201);
  expect(
    (await team.member.client.post<Body>(`${base}/workflows/${invoiceWorkflowId}/activate`)).status,
  ).toBe(200);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await standIn?.close();
});

describe('POST /hooks/stripe: signatures', () => {
  it('refuses a bad, missing or stale signature with 400 and the reason, and stores nothing', async () => {
    const event = eventFor('invoice.paid', fixture('invoice'));
    const wrongSecret = await deliver(event, { secret: 'whsec_someone_else' });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.reason).toBe('bad_signature');
    expect(wrongSecret.body.detail).toMatch(/does not match/);

    const missing = await deliver(event, { signature: null });
    expect(missing.status).toBe(400);
    expect(missing.body.reason).toBe('missing_signature');

    const garbled = await deliver(event, { signature: 'not-a-signature' });
    expect(garbled.status).toBe(400);
    expect(garbled.body.reason).toBe('malformed_signature');

    // Signed correctly, but an hour ago: a replay.
    const stale = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(400);
    expect(stale.body.reason).toBe('stale_timestamp');
    expect(stale.body.detail).toMatch(/too old/);

    expect(await server.db.knex('stripe_events').where({ event_id: event.id }).first()).toBeUndefined();
  });
});

describe('POST /hooks/stripe: subscription state', () => {
  let customer: string;
  let subscriptionId: string;

  it('applies a new subscription: plan from the price lookup key, seats from the seat item, periods', async () => {
    customer = await customerOf(team.owner.client, team.workspaceId);
    const subscription = subscriptionWith(
      [{ lookupKey: 'revflow_starter_monthly' }, { lookupKey: 'revflow_starter_seat', quantity: 6 }],
      { customer },
    );
    subscriptionId = subscription.id as string;
    const response = await deliver(
      eventFor('customer.subscription.created', subscription, { created: later() }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      received: true,
      duplicate: false,
      workspaceId: team.workspaceId,
      outcome: 'applied',
    });
    const row = await account(team.workspaceId);
    expect(row).toMatchObject({
      plan_id: 'starter',
      status: 'active',
      seats: 6,
      stripe_subscription_id: subscriptionId,
    });
    // workspaces.plan follows (seat limits and older code read it).
    expect((await server.db.knex('workspaces').where({ id: team.workspaceId }).first()).plan).toBe('starter');
  });

  it('resolves out-of-order updates by the event time: an older update after a newer one changes nothing', async () => {
    const older = later();
    const newer = later();
    const at = (seats: number): StripeObject =>
      subscriptionWith(
        [{ lookupKey: 'revflow_starter_monthly' }, { lookupKey: 'revflow_starter_seat', quantity: seats }],
        {
          id: subscriptionId,
          customer,
        },
      );
    const first = await deliver(eventFor('customer.subscription.updated', at(9), { created: newer }));
    expect(first.body.outcome).toBe('applied');
    const late = await deliver(eventFor('customer.subscription.updated', at(7), { created: older }));
    expect(late.status).toBe(200);
    expect(late.body.outcome).toBe('stale');
    expect((await account(team.workspaceId)).seats).toBe(9);
  });

  it('marks the account past_due on a failed payment and active when paid; a redelivered event is ignored', async () => {
    const invoice = fixture('invoice');
    invoice.customer = customer;
    invoice.parent = {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: {}, subscription: subscriptionId },
    };
    const failed = eventFor('invoice.payment_failed', invoice, { created: later() });
    const first = await deliver(failed);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ duplicate: false, outcome: 'applied' });
    expect(first.body.runs).toHaveLength(1);
    expect((await account(team.workspaceId)).status).toBe('past_due');

    const paid = await deliver(
      eventFor('invoice.paid', { ...invoice, status: 'paid' }, { created: later() }),
    );
    expect(paid.body.outcome).toBe('applied');
    expect((await account(team.workspaceId)).status).toBe('active');

    // Stripe delivers the failure again: 200, nothing changes, no second run.
    const again = await deliver(failed);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, runs: first.body.runs });
    expect((await account(team.workspaceId)).status).toBe('active');
    expect(
      await server.db
        .knex('stripe_events')
        .where({ event_id: failed.id })
        .count<[{ count: string }]>('* as count'),
    ).toEqual([{ count: '1' }]);
  });

  it('starts a trigger.stripe workflow once per event id, with the Stripe event as input, only for matching types', async () => {
    const runs = await finishedRuns(invoiceWorkflowId, 2);
    // invoice.payment_failed (delivered twice) and invoice.paid: two runs; the subscription events none.
    expect(runs).toHaveLength(2);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    const inputs = await Promise.all(
      runs.map(async (run) => (await team.viewer.client.get<Body>(`${base}/runs/${run.id}`)).body.input),
    );
    expect(inputs.map((input: Body) => input.type).sort()).toEqual([
      'invoice.paid',
      'invoice.payment_failed',
    ]);
    const failedInput = inputs.find((input: Body) => input.type === 'invoice.payment_failed');
    expect(failedInput.object).toBe('event');
    expect(failedInput.data.object.customer).toBe(customer);
  });
});

describe('POST /hooks/stripe: concurrent deliveries', () => {
  it('starts one run when Stripe delivers the same new event several times at once', async () => {
    const before = (await runsOf(invoiceWorkflowId)).length;
    const customer = (await account(team.workspaceId)).stripe_customer_id!;
    const invoice = fixture('invoice');
    invoice.customer = customer;
    const event = eventFor('invoice.finalized', invoice, { created: later() });
    const answers = await Promise.all([deliver(event), deliver(event), deliver(event)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const runIds = new Set(
      answers.flatMap((answer) => (answer.body.runs as Array<{ id: string }>).map((run) => run.id)),
    );
    expect(runIds.size).toBe(1);
    const runs = await finishedRuns(invoiceWorkflowId, before + 1);
    expect(runs).toHaveLength(before + 1);
    expect(runs.map((run) => run.id)).toContain([...runIds][0]);
  });
});

describe('POST /hooks/stripe: trials and checkout', () => {
  it('falls back to Free when the trial ends without payment, keeping the workspace data; late events stay ignored', async () => {
    const owner = team.outsider.client;
    const workspaceId = team.outsider.account.workspaceId;
    const workflow = await owner.post<Body>(`/api/v1/workspaces/${workspaceId}/workflows`, {
      schemaVersion: 1,
      name: 'Kept after the trial',
      nodes: [{ id: 'start', type: 'trigger.manual', config: {} }],
      edges: [],
    });
    expect(workflow.status).toBe(201);
    const customer = await customerOf(owner, workspaceId);
    const trialEnd = Math.floor(Date.now() / 1000) + 3 * 86_400;
    const trialing = subscriptionWith(
      [
        { lookupKey: 'revflow_professional_monthly' },
        { lookupKey: 'revflow_professional_seat', quantity: 20 },
      ],
      { customer, status: 'trialing', trial_start: clock, trial_end: trialEnd },
    );
    const createdAt = later();
    expect(
      (await deliver(eventFor('customer.subscription.created', trialing, { created: createdAt }))).body
        .outcome,
    ).toBe('applied');
    let row = await account(workspaceId);
    expect(row).toMatchObject({ plan_id: 'professional', status: 'trialing', seats: 20 });
    expect(row.trial_ends_at?.getTime()).toBe(trialEnd * 1000);

    const willEnd = await deliver(
      eventFor('customer.subscription.trial_will_end', trialing, { created: later() }),
    );
    expect(willEnd.status).toBe(200);
    expect((await account(workspaceId)).status).toBe('trialing');

    // The trial ended with no payment method: Stripe cancels the subscription.
    const ended = { ...trialing, status: 'canceled', canceled_at: clock, ended_at: clock };
    expect(
      (await deliver(eventFor('customer.subscription.deleted', ended, { created: later() }))).body.outcome,
    ).toBe('applied');
    row = await account(workspaceId);
    expect(row).toMatchObject({
      plan_id: 'free',
      status: 'free',
      seats: 3,
      stripe_subscription_id: null,
      trial_ends_at: null,
    });
    // A late copy of an update from the trial changes nothing.
    const late = await deliver(
      eventFor('customer.subscription.updated', trialing, { created: createdAt + 1 }),
    );
    expect(late.body.outcome).toBe('stale');
    expect((await account(workspaceId)).plan_id).toBe('free');
    // Nothing was deleted.
    const kept = await owner.get<Body>(`/api/v1/workspaces/${workspaceId}/workflows/${workflow.body.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.name).toBe('Kept after the trial');
  });

  it('applies the subscription of a completed checkout', async () => {
    const client = server.client();
    const person = await client.signup();
    const path = `/api/v1/workspaces/${person.workspaceId}/billing`;
    const checkout = await client.post<Body>(`${path}/checkout`, { planId: 'starter', seats: 7 });
    expect(checkout.status).toBe(200);
    expect(checkout.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const customer = (await account(person.workspaceId)).stripe_customer_id!;
    // What Stripe made when the customer paid.
    const subscription = subscriptionWith(
      [{ lookupKey: 'revflow_starter_monthly' }, { lookupKey: 'revflow_starter_seat', quantity: 7 }],
      { customer, metadata: { workspace_id: person.workspaceId, plan_id: 'starter' } },
    );
    standIn.subscriptions.set(subscription.id as string, subscription);
    const session = fixture('checkout.session');
    Object.assign(session, {
      id: checkout.body.sessionId,
      mode: 'subscription',
      status: 'complete',
      payment_status: 'paid',
      customer,
      subscription: subscription.id,
      client_reference_id: person.workspaceId,
      metadata: { workspace_id: person.workspaceId, plan_id: 'starter' },
    });
    const completed = await deliver(eventFor('checkout.session.completed', session, { created: later() }));
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ workspaceId: person.workspaceId, outcome: 'applied' });
    expect(standIn.requestsTo('GET', `/v1/subscriptions/${subscription.id as string}`)).toHaveLength(1);
    expect(await account(person.workspaceId)).toMatchObject({
      plan_id: 'starter',
      status: 'active',
      seats: 7,
      stripe_subscription_id: subscription.id,
    });
  });

  it('stores an event about no workspace of ours and acknowledges it', async () => {
    const stranger = subscriptionWith([{ lookupKey: 'revflow_starter_monthly' }], {
      customer: 'cus_not_ours',
    });
    const response = await deliver(eventFor('customer.subscription.updated', stranger, { created: later() }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ workspaceId: null, outcome: 'no_workspace', runs: [] });
  });
});
