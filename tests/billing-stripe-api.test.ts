import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingAccounts } from '../api/billing/accounts.js';
import { stripeSettingsFromEnv } from '../api/billing/stripe/config.js';
import { MeterReporter, startMeterReporting } from '../api/billing/stripe/meter-reporter.js';
import { UsageMeter } from '../api/billing/usage.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';
import { startStripeStandIn, subscriptionWith, type StripeStandIn } from './helpers/stripe-standin.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let standIn: StripeStandIn;
/** Stripe mode: STRIPE_SECRET_KEY set, the SDK pointed at the stand-in. */
let server: TestApi;
let team: Team;
let base: string;
/** Local mode: the same code without STRIPE_SECRET_KEY. */
let local: TestApi;
let localTeam: Team;
let localBase: string;

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function untilRun(api: Team, path: string, runId: string): Promise<Body> {
  const until = Date.now() + 15_000;
  for (;;) {
    const run = await api.member.client.get<Body>(`${path}/runs/${runId}`);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status) || Date.now() > until)
      return run.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Publish a manual-trigger workflow with one billing node and run it to the end. */
async function runNode(
  owner: Team,
  path: string,
  node: { type: string; config: Record<string, unknown> },
): Promise<{ run: Body; step: Body }> {
  const created = await owner.member.client.post<Body>(`${path}/workflows`, {
    schemaVersion: 1,
    name: `Run ${node.type}`,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'billing', ...node, retry: { maxAttempts: 1 } },
    ],
    edges: [{ from: 'start', to: 'billing' }],
  });
  expect(created.status).toBe(201);
  // Billing changes are an owner's job: the owner publishes; anyone may then run it.
  const published = await owner.owner.client.post<Body>(`${path}/workflows/${created.body.id}/publish`, {});
  expect(published.status).toBe(201);
  const started = await owner.member.client.post<Body>(`${path}/workflows/${created.body.id}/runs`, {
    input: {},
  });
  expect(started.status).toBe(202);
  const run = await untilRun(owner, path, started.body.id);
  return { run, step: run.steps.find((step: Body) => step.nodeId === 'billing') };
}

beforeAll(async () => {
  standIn = await startStripeStandIn();
  process.env.STRIPE_SECRET_KEY = 'sk_test_revflow';
  process.env.STRIPE_API_BASE = standIn.url;
  process.env.STRIPE_WEBHOOK_SECRET = 'whsec_revflow_api_test';
  process.env.REVFLOW_STRIPE_METER_INTERVAL_MS = '0';
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  delete process.env.STRIPE_SECRET_KEY;
  delete process.env.STRIPE_API_BASE;
  local = await startApi({ engine: true });
  localTeam = await createTeam(local);
  localBase = `/api/v1/workspaces/${localTeam.workspaceId}`;
}, 90_000);

afterAll(async () => {
  await server?.close();
  await local?.close();
  await standIn?.close();
});

describe('billing routes with Stripe', () => {
  let subscriptionId: string;
  let seatItemId: string;

  it('creates the customer once, lazily, with the workspace id and an idempotency key', async () => {
    const portal = await team.owner.client.post<Body>(`${base}/billing/portal`, {});
    expect(portal.status).toBe(200);
    expect(portal.body.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const again = await team.owner.client.post<Body>(`${base}/billing/portal`, {
      returnUrl: 'https://app.example.com/b',
    });
    expect(again.status).toBe(200);
    const customers = standIn.requestsTo('POST', '/v1/customers');
    expect(customers).toHaveLength(1);
    expect(customers[0]?.form['metadata[workspace_id]']).toBe(team.workspaceId);
    expect(customers[0]?.idempotencyKey).toBe(`revflow-customer-${team.workspaceId}`);
    const sessions = standIn.requestsTo('POST', '/v1/billing_portal/sessions');
    expect(sessions.map((request) => request.form.return_url)).toEqual([
      `${server.settings.publicUrl}/billing`,
      'https://app.example.com/b',
    ]);
    expect(sessions.every((request) => request.idempotencyKey !== undefined)).toBe(true);
  });

  it('returns a Checkout URL for an upgrade: subscription mode, seat quantity, metered prices', async () => {
    const response = await team.owner.client.post<Body>(
      `${base}/billing/checkout`,
      { planId: 'professional', seats: 22 },
      {
        headers: { 'idempotency-key': 'upgrade-click-1' },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const [request] = standIn.requestsTo('POST', '/v1/checkout/sessions');
    expect(request?.form).toMatchObject({
      mode: 'subscription',
      client_reference_id: team.workspaceId,
      'line_items[0][price]': 'price_revflow_professional_monthly',
      'line_items[0][quantity]': '1',
      'line_items[1][price]': 'price_revflow_professional_seat',
      'line_items[1][quantity]': '22',
      'line_items[2][price]': 'price_revflow_professional_emails_metered',
      'metadata[plan_id]': 'professional',
    });
    expect(request?.form.success_url).toBe(
      `${server.settings.publicUrl}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
    );
    expect(request?.idempotencyKey).toBe(`${team.workspaceId}:upgrade-click-1:checkout`);
    // Prices were found by lookup key.
    const lookups = standIn.requestsTo('GET', '/v1/prices')[0]?.query ?? {};
    expect(Object.values(lookups)).toContain('revflow_professional_seat');
  });

  it('previews a seat change with prorations: the preview reached Stripe with the new quantity', async () => {
    const customer = (
      await server.db.knex('billing_accounts').where({ workspace_id: team.workspaceId }).first()
    ).stripe_customer_id;
    const subscription = subscriptionWith(
      [
        { lookupKey: 'revflow_professional_monthly' },
        { lookupKey: 'revflow_professional_seat', quantity: 20 },
      ],
      { customer },
    );
    subscriptionId = subscription.id as string;
    seatItemId = subscription.items.data[1].id as string;
    standIn.subscriptions.set(subscriptionId, subscription);
    await server.db.knex('billing_accounts').where({ workspace_id: team.workspaceId }).update({
      stripe_subscription_id: subscriptionId,
      plan_id: 'professional',
      status: 'active',
      seats: 20,
    });

    const preview = await team.admin.client.post<Body>(`${base}/billing/preview`, { seats: 25 });
    expect(preview.status).toBe(200);
    const previews = standIn.requestsTo('POST', '/v1/invoices/create_preview');
    expect(previews).toHaveLength(2);
    const [now, next] = previews;
    expect(now?.form).toMatchObject({
      customer,
      subscription: subscriptionId,
      'subscription_details[proration_behavior]': 'always_invoice',
      'subscription_details[items][1][id]': seatItemId,
      'subscription_details[items][1][quantity]': '25',
    });
    expect(now?.form['subscription_details[proration_date]']).toMatch(/^\d+$/);
    expect(next?.form['subscription_details[proration_behavior]']).toBe('none');
    // The fixture invoice: amount_due 1000, one proration line of 1000.
    expect(preview.body).toMatchObject({
      mode: 'stripe',
      currency: 'usd',
      current: { planId: 'professional', seats: 20, monthlyCents: 29_900 },
      proposed: { planId: 'professional', seats: 25, monthlyCents: 29_900 + 5 * 1_500 },
      amountDueNowCents: 1000,
      nowLines: [{ amountCents: 1000, proration: true }],
      nextInvoice: { amountDueCents: 1000 },
    });
  });

  it('changes the seats on the subscription with proration and an idempotency key (owners only)', async () => {
    const byAdmin = await team.admin.client.post<Body>(`${base}/billing/change`, { seats: 25 });
    expect(byAdmin.status).toBe(403);
    const changed = await team.owner.client.post<Body>(
      `${base}/billing/change`,
      { seats: 25 },
      {
        headers: { 'idempotency-key': 'seats-25' },
      },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      mode: 'stripe',
      account: { planId: 'professional', seats: 25, status: 'active' },
    });
    const [update] = standIn.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`);
    expect(update?.form).toMatchObject({
      proration_behavior: 'always_invoice',
      'items[1][id]': seatItemId,
      'items[1][quantity]': '25',
    });
    expect(update?.idempotencyKey).toBe(`${team.workspaceId}:seats-25:update`);
    const audit = await team.admin.client.get<Body>(`${base}/audit-log?action=billing.change`);
    expect(JSON.stringify(audit.body)).toContain('billing.change');
  });

  it('refuses seats below members plus pending invitations, naming the field', async () => {
    const invited = await team.admin.client.post<Body>(`${base}/invitations`, {
      email: 'new.hire@example.com',
      role: 'member',
    });
    expect(invited.status).toBe(201);
    // 4 members + 1 pending invitation = 5 seats in use; Starter includes exactly 5, so 4 is refused.
    const tooFew = await team.admin.client.post<Body>(`${base}/billing/preview`, {
      planId: 'starter',
      seats: 4,
    });
    expect(tooFew.status).toBe(400);
    expect(tooFew.body.invalidParams[0].name).toBe('seats');
    await team.admin.client.post<Body>(`${base}/invitations`, {
      email: 'second.hire@example.com',
      role: 'member',
    });
    const inUse = await team.admin.client.post<Body>(`${base}/billing/preview`, {
      planId: 'starter',
      seats: 5,
    });
    expect(inUse.status).toBe(409);
    expect(inUse.body.detail).toMatch(/4 members and 2 pending invitations take 6 seats/);
    expect(inUse.body.invalidParams).toEqual([{ name: 'seats', reason: 'at least 6 seats are in use' }]);
  });

  it('lists invoices from Stripe for admins, not for members', async () => {
    const invoices = await team.admin.client.get<Body>(`${base}/billing/invoices`);
    expect(invoices.status).toBe(200);
    expect(invoices.body.mode).toBe('stripe');
    expect(invoices.body.items[0]).toMatchObject({
      number: 'REVFLOW-0001',
      status: 'paid',
      amountDueCents: 1000,
    });
    expect((await team.member.client.get<Body>(`${base}/billing/invoices`)).status).toBe(403);
    expect((await team.outsider.client.get<Body>(`${base}/billing/invoices`)).status).toBe(404);
  });

  it('answers a Stripe refusal as 502 naming Stripe; a passing 500 is retried by the SDK with the same key', async () => {
    standIn.failNext('POST', '/v1/billing_portal/sessions', 400);
    const failed = await team.owner.client.post<Body>(`${base}/billing/portal`, {});
    expect(failed.status).toBe(502);
    expect(failed.body.detail).toMatch(/Stripe answered 400/);

    standIn.failNext('POST', '/v1/billing_portal/sessions', 500);
    const retried = await team.owner.client.post<Body>(`${base}/billing/portal`, {});
    expect(retried.status).toBe(200);
    const [first, second] = standIn.requestsTo('POST', '/v1/billing_portal/sessions').slice(-2);
    expect([first?.status, second?.status]).toEqual([500, 200]);
    expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
  });
});

describe('OpenAPI', () => {
  it('documents the Stripe billing routes with their bodies and problem responses', async () => {
    const doc = (await server.client().get<Body>('/api/v1/openapi.json')).body;
    const path = '/api/v1/workspaces/{workspaceId}/billing';
    for (const [route, method] of [
      ['preview', 'post'],
      ['change', 'post'],
      ['checkout', 'post'],
      ['portal', 'post'],
      ['invoices', 'get'],
    ] as const) {
      const operation = doc.paths[`${path}/${route}`]?.[method];
      expect(operation, route).toBeDefined();
      expect(operation.responses['403'].content['application/problem+json']).toBeDefined();
    }
    expect(doc.paths[`${path}/change`].post.description).toMatch(/Owners only/);
  });
});

describe('Meter Events', () => {
  it('reports each usage event once, under an identifier from its idempotency key, even when a report is retried', async () => {
    const knex = server.db.knex;
    const usage = new UsageMeter(knex, new BillingAccounts(knex));
    await usage.record(team.workspaceId, { meter: 'emails', idempotencyKey: 'email-a' });
    await usage.record(team.workspaceId, { meter: 'ai_generations', quantity: 3, idempotencyKey: 'gen-b' });
    // A repeat of the same usage key is not a second event.
    await usage.record(team.workspaceId, { meter: 'emails', idempotencyKey: 'email-a' });
    const reporter = new MeterReporter({
      knex,
      stripe: standIn.client(),
      logger: silent,
      backoffMs: 5,
      batchSize: 1,
    });
    // Stripe fails the first call (500), then rate-limits the next one (429).
    standIn.failNext('POST', '/v1/billing/meter_events', 500);
    standIn.failNext('POST', '/v1/billing/meter_events', 429);

    expect(await reporter.round()).toEqual({ reported: 1, failed: 0 });
    expect(await reporter.round()).toEqual({ reported: 1, failed: 0 });
    expect(await reporter.round()).toEqual({ reported: 0, failed: 0 });

    const calls = standIn.requestsTo('POST', '/v1/billing/meter_events');
    expect(calls.map((call) => call.status)).toEqual([500, 429, 200, 200]);
    // The retried calls carried the same identifier and the same Idempotency-Key.
    expect(new Set(calls.slice(0, 3).map((call) => call.form.identifier)).size).toBe(1);
    expect(new Set(calls.slice(0, 3).map((call) => call.idempotencyKey)).size).toBe(1);
    expect(standIn.meterEvents.size).toBe(2);
    const events = [...standIn.meterEvents.values()];
    expect(events.map((event) => event.event_name).sort()).toEqual([
      'revflow_ai_generations',
      'revflow_emails',
    ]);
    const customer = (await knex('billing_accounts').where({ workspace_id: team.workspaceId }).first())
      .stripe_customer_id;
    expect(events.every((event) => event.payload.stripe_customer_id === customer)).toBe(true);
    expect(events.find((event) => event.event_name === 'revflow_ai_generations')?.payload.value).toBe('3');
    const reports = await knex('stripe_meter_reports').orderBy('created_at');
    expect(reports).toHaveLength(2);
    expect(
      reports.every((report) => report.reported_at !== null && /^rfu_[0-9a-f]{64}$/.test(report.identifier)),
    ).toBe(true);
    expect(reports.map((report) => report.attempts).sort()).toEqual([1, 3]);
  });

  it('sends again after a crash between Stripe and our record, and Stripe counts it once', async () => {
    const knex = server.db.knex;
    // The process died after Stripe accepted the event but before reported_at was written.
    const [report] = await knex('stripe_meter_reports').whereNotNull('reported_at').limit(1);
    await knex('stripe_meter_reports').where({ identifier: report.identifier }).update({ reported_at: null });
    const before = standIn.requestsTo('POST', '/v1/billing/meter_events').length;
    const reporter = new MeterReporter({ knex, stripe: standIn.client(), logger: silent, backoffMs: 5 });
    expect(await reporter.round()).toEqual({ reported: 1, failed: 0 });
    const resent = standIn.requestsTo('POST', '/v1/billing/meter_events').slice(before);
    expect(resent).toHaveLength(1);
    expect(resent[0]?.form.identifier).toBe(report.identifier);
    expect(standIn.meterEvents.size).toBe(2);
    expect(await reporter.round()).toEqual({ reported: 0, failed: 0 });
  });
});

describe('Meter Events, periodically', () => {
  it('reports new usage on its own every interval until stopped', async () => {
    const knex = server.db.knex;
    const usage = new UsageMeter(knex, new BillingAccounts(knex));
    const reporting = startMeterReporting({
      knex,
      logger: silent,
      settings: stripeSettingsFromEnv({
        STRIPE_SECRET_KEY: 'sk_test_revflow',
        STRIPE_API_BASE: standIn.url,
        REVFLOW_STRIPE_METER_INTERVAL_MS: '20',
      }),
    });
    try {
      expect(reporting.reporter).toBeDefined();
      await usage.record(team.workspaceId, { meter: 'emails', idempotencyKey: 'email-periodic' });
      const until = Date.now() + 10_000;
      while (standIn.meterEvents.size < 3 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(standIn.meterEvents.size).toBe(3);
    } finally {
      await reporting.stop();
    }
    // Without a key nothing starts.
    expect(
      startMeterReporting({ knex, logger: silent, settings: stripeSettingsFromEnv({}) }).reporter,
    ).toBeUndefined();
  });
});

describe('billing nodes with Stripe', () => {
  it('billing.changeSeats updates the subscription with the step idempotency key', async () => {
    const { run, step } = await runNode(team, base, { type: 'billing.changeSeats', config: { seats: 30 } });
    expect(run.status).toBe('succeeded');
    expect(step.output).toMatchObject({ mode: 'stripe', account: { seats: 30, planId: 'professional' } });
    const updates = standIn.requestsTo('POST', /^\/v1\/subscriptions\//);
    expect(updates.at(-1)?.form['items[1][quantity]']).toBe('30');
    expect(updates.at(-1)?.idempotencyKey).toBe(`${run.id}:billing:update`);
  });

  it('billing.checkoutLink outputs the Checkout URL', async () => {
    const { run, step } = await runNode(team, base, {
      type: 'billing.checkoutLink',
      config: { planId: 'enterprise' },
    });
    expect(run.status).toBe('succeeded');
    expect(step.output.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(standIn.requestsTo('POST', '/v1/checkout/sessions').at(-1)?.idempotencyKey).toBe(
      `${run.id}:billing:checkout`,
    );
  });

  it('fails the step with code stripe when Stripe refuses, and names the field for bad input', async () => {
    standIn.failNext('POST', /^\/v1\/subscriptions\//, 402);
    const refused = await runNode(team, base, {
      type: 'billing.changePlan',
      config: { planId: 'enterprise' },
    });
    expect(refused.run.status).toBe('failed');
    expect(refused.step.error).toMatchObject({
      code: 'stripe',
      message: expect.stringMatching(/Stripe answered 402/),
    });

    const tooFew = await runNode(team, base, { type: 'billing.changeSeats', config: { seats: 2 } });
    expect(tooFew.step.error).toMatchObject({ code: 'config', field: 'config.seats' });
  });

  it('refuses a bad config at save time, naming the node and field', async () => {
    const response = await team.member.client.post<Body>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'Bad billing config',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'seats', type: 'billing.changeSeats', config: { seats: 0 } },
        { id: 'plan', type: 'billing.changePlan', config: { planId: 'platinum' } },
        { id: 'stripe', type: 'trigger.stripe', config: { events: ['Invoice Paid'] } },
      ],
      edges: [
        { from: 'start', to: 'seats' },
        { from: 'start', to: 'plan' },
      ],
    });
    expect(response.status).toBe(201);
    expect(response.body.validation.ok).toBe(false);
    const issues = (
      response.body.validation.issues as Array<{ nodeId: string; field: string; code: string }>
    ).map((issue) => `${issue.nodeId} ${issue.field} ${issue.code}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'seats config.seats invalid_config',
        'plan config.planId invalid_config',
        'stripe config.events[0] invalid_config',
      ]),
    );
  });
});

describe('local mode (no STRIPE_SECRET_KEY)', () => {
  it('previews from the catalogue, changes the local account, and has no checkout, portal or invoices', async () => {
    const preview = await localTeam.admin.client.post<Body>(`${localBase}/billing/preview`, {
      planId: 'enterprise',
      seats: 102,
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      mode: 'local',
      // Prorated locally the way Stripe would (issue 19; tests/ops-gaps.test.ts checks the lines).
      amountDueNowCents: expect.any(Number),
      proposed: { planId: 'enterprise', seats: 102, monthlyCents: 99_900 + 2 * 2_000 },
      note: expect.stringMatching(/local mode/),
    });
    const changed = await localTeam.owner.client.post<Body>(`${localBase}/billing/change`, {
      planId: 'enterprise',
      seats: 102,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      mode: 'local',
      account: { planId: 'enterprise', seats: 102, status: 'active' },
    });

    const checkout = await localTeam.owner.client.post<Body>(`${localBase}/billing/checkout`, {
      planId: 'starter',
    });
    expect(checkout.status).toBe(409);
    expect(checkout.body.detail).toBe(
      'billing runs in local mode: there is no Stripe checkout, portal or payment',
    );
    expect((await localTeam.owner.client.post<Body>(`${localBase}/billing/portal`, {})).status).toBe(409);
    const invoices = await localTeam.admin.client.get<Body>(`${localBase}/billing/invoices`);
    expect(invoices.body).toEqual({ mode: 'local', items: [] });
  });

  it('runs billing.changeSeats locally and fails billing.checkoutLink with local_mode', async () => {
    const seats = await runNode(localTeam, localBase, {
      type: 'billing.changeSeats',
      config: { seats: 105 },
    });
    expect(seats.run.status).toBe('succeeded');
    expect(seats.step.output).toMatchObject({ mode: 'local', account: { seats: 105 } });
    const link = await runNode(localTeam, localBase, {
      type: 'billing.checkoutLink',
      config: { planId: 'starter' },
    });
    expect(link.run.status).toBe('failed');
    expect(link.step.error).toMatchObject({ code: 'local_mode' });
  });
});
