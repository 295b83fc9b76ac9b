import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, effectivePlan, periodContaining } from '../api/billing/accounts.js';
import { createBilling, type Billing } from '../api/billing/hub.js';
import { getPlan, meterIds, nextPlanFor, plans } from '../api/billing/plans.js';
import { QuotaExceeded, UsageRejected } from '../api/billing/usage.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import { billingMeters } from '../nodes/billing/record-usage.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';

let db: TestDatabase;
let billing: Billing;

async function workspace(name = 'Metered'): Promise<string> {
  return (await createWorkspace(db.knex, { name })).id;
}

beforeAll(async () => {
  db = await freshDatabase();
  billing = createBilling(db.knex, { trialDays: 14 });
});
afterAll(() => db?.drop());

describe('the plan catalogue', () => {
  it('has the issue’s tiers, prices and quotas, and the nodes know the same meters', () => {
    expect(plans.map((plan) => [plan.id, plan.priceMonthlyCents])).toEqual([
      ['free', 0],
      ['starter', 4_900],
      ['professional', 29_900],
      ['enterprise', 99_900],
    ]);
    expect(getPlan('free').quotas).toMatchObject({ emails: 100, leads: 50, campaigns: 1 });
    expect(getPlan('enterprise').quotas.campaigns).toBeNull();
    expect(getPlan('professional').stripe.priceLookupKey).toBe('revflow_professional_monthly');
    expect(nextPlanFor('free', 'emails')?.id).toBe('starter');
    expect(() => getPlan('platinum')).toThrow(/Unknown plan "platinum"/);
    expect([...billingMeters]).toEqual([...meterIds]);
  });
});

describe('usage events', () => {
  it('accepts a repeated idempotency key without counting it twice', async () => {
    const ws = await workspace();
    const first = await billing.usage.record(ws, { meter: 'emails', idempotencyKey: 'send-1' });
    const again = await billing.usage.record(ws, { meter: 'emails', idempotencyKey: 'send-1' });
    expect(first.counted).toBe(true);
    expect(again.counted).toBe(false);
    expect((await billing.usage.totals(ws)).emails).toBe(1);
    // The same key in another workspace is someone else's usage.
    const other = await workspace('Other');
    expect((await billing.usage.record(other, { meter: 'emails', idempotencyKey: 'send-1' })).counted).toBe(
      true,
    );
  });

  it('aggregates per meter: count, sum, max and unique count', async () => {
    const ws = await workspace();
    const record = (meter: (typeof meterIds)[number], quantity: number, key: string, subject?: string) =>
      billing.usage.record(ws, { meter, quantity, idempotencyKey: key, ...(subject ? { subject } : {}) });
    // count: emails count events, whatever the quantity.
    await record('emails', 1, 'e1');
    await record('emails', 5, 'e2');
    // sum: AI generations add up.
    await record('ai_generations', 3, 'a1');
    await record('ai_generations', 4, 'a2');
    // max: active campaigns are a gauge.
    await record('campaigns', 2, 'c1');
    await record('campaigns', 7, 'c2');
    await record('campaigns', 3, 'c3');
    // unique: leads count distinct subjects.
    await record('leads', 1, 'l1', 'ada@example.com');
    await record('leads', 1, 'l2', 'ada@example.com');
    await record('leads', 1, 'l3', 'grace@example.com');
    const totals = await billing.usage.totals(ws);
    expect(totals).toMatchObject({ emails: 2, ai_generations: 7, campaigns: 7, leads: 2, workflow_runs: 0 });
    const usage = await billing.usage.usage(ws);
    // A new workspace is on its Professional trial: Professional's limits apply.
    expect(usage.find((meter) => meter.meter === 'leads')).toMatchObject({ used: 2, limit: 10_000 });
  });

  it('lands a late event within the grace period in the period it occurred in, and refuses later ones', async () => {
    const ws = await workspace();
    const now = Date.now();
    const start = new Date(now - 3_600_000);
    await db
      .knex('billing_accounts')
      .where({ workspace_id: ws })
      .update({
        current_period_start: start,
        current_period_end: addMonths(start, 1),
      });
    await billing.accounts.get(ws);
    const late = await billing.usage.record(ws, {
      meter: 'ai_generations',
      quantity: 10,
      idempotencyKey: 'late-1',
      occurredAt: new Date(now - 2 * 3_600_000).toISOString(),
    });
    expect(late.counted).toBe(true);
    await billing.usage.record(ws, { meter: 'ai_generations', quantity: 1, idempotencyKey: 'now-1' });
    const previous = periodContaining(start, new Date(now - 2 * 3_600_000));
    expect(previous.end.toISOString()).toBe(start.toISOString());
    expect((await billing.usage.totals(ws, previous)).ai_generations).toBe(10);
    expect((await billing.usage.totals(ws)).ai_generations).toBe(1);

    const tooLate = billing.usage.record(ws, {
      meter: 'ai_generations',
      quantity: 1,
      idempotencyKey: 'late-2',
      occurredAt: new Date(now - 49 * 3_600_000).toISOString(),
    });
    await expect(tooLate).rejects.toBeInstanceOf(UsageRejected);
    await expect(tooLate).rejects.toMatchObject({
      field: 'occurredAt',
      message: expect.stringMatching(/past the 48 h grace period/),
    });
    expect((await billing.usage.totals(ws, previous)).ai_generations).toBe(10);
  });

  it('refuses unknown meters, negative quantities and hand-recorded workflow runs', async () => {
    const ws = await workspace();
    await expect(
      billing.usage.record(ws, { meter: 'bogus' as 'emails', idempotencyKey: 'x' }),
    ).rejects.toMatchObject({ field: 'meter' });
    await expect(
      billing.usage.record(ws, { meter: 'emails', quantity: -1, idempotencyKey: 'y' }),
    ).rejects.toMatchObject({ field: 'quantity' });
    await expect(
      billing.usage.record(ws, { meter: 'workflow_runs', idempotencyKey: 'z' }),
    ).rejects.toMatchObject({ field: 'meter' });
  });
});

describe('quotas', () => {
  it('blocks past a hard limit with a message naming the limit and the plan', async () => {
    const ws = await workspace();
    await billing.accounts.setPlan(ws, { planId: 'starter' });
    await billing.usage.record(ws, { meter: 'ai_generations', quantity: 500, idempotencyKey: 'bulk' });
    const check = billing.usage.check(ws, 'ai_generations', 1);
    await expect(check).rejects.toBeInstanceOf(QuotaExceeded);
    await expect(check).rejects.toThrow(
      'Starter plan allows 500 AI generations per month; upgrade to Professional for 5,000',
    );
    expect(await billing.usage.evaluate(ws, 'ai_generations', 0)).toMatchObject({ ok: true, used: 500 });
  });

  it('counts overage on a paid plan that allows it instead of blocking', async () => {
    const ws = await workspace();
    await billing.accounts.setPlan(ws, { planId: 'professional' });
    await billing.usage.record(ws, { meter: 'ai_generations', quantity: 5_000, idempotencyKey: 'bulk' });
    const check = await billing.usage.check(ws, 'ai_generations', 10);
    expect(check).toMatchObject({ ok: true, overage: true, limit: 5_000, used: 5_000 });
    await billing.usage.record(ws, { meter: 'ai_generations', quantity: 10, idempotencyKey: 'more' });
    const usage = await billing.usage.usage(ws);
    expect(usage.find((meter) => meter.meter === 'ai_generations')).toMatchObject({
      used: 5_010,
      limit: 5_000,
      overage: 10,
    });
  });

  it('reserves exactly up to the limit when sends race', async () => {
    const ws = await workspace();
    await billing.accounts.setPlan(ws, { planId: 'free' });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        billing.usage.reserve(ws, { meter: 'campaigns', quantity: 1, idempotencyKey: `race-${i}` }),
      ),
    );
    // Free allows 1 active campaign: max(1, 1) fits every time (a gauge), so all pass...
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    const generations = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        billing.usage.reserve(ws, { meter: 'ai_generations', quantity: 2, idempotencyKey: `gen-${i}` }),
      ),
    );
    // ...while summed meters stop at exactly the limit (Free: 50 AI generations).
    expect(generations.filter((result) => result.status === 'fulfilled')).toHaveLength(25);
    expect((await billing.usage.totals(ws)).ai_generations).toBe(50);
  });
});

describe('accounts and trials', () => {
  it('starts a new workspace on a trial of Professional, counted from its creation', async () => {
    const ws = await workspace();
    const account = await billing.accounts.get(ws);
    const created = await db.knex('workspaces').where({ id: ws }).first<{ created_at: Date }>('created_at');
    expect(account).toMatchObject({ planId: 'free', status: 'trialing', seats: 3 });
    expect(account.trialEndsAt?.getTime()).toBe(created.created_at.getTime() + 14 * 86_400_000);
    expect(effectivePlan(account)).toBe('professional');
    // Trial over without a plan chosen: Free, even before the sweeper changes the row.
    expect(effectivePlan(account, new Date(Date.now() + 15 * 86_400_000))).toBe('free');
  });

  it('starts no trial with REVFLOW_TRIAL_DAYS=0', async () => {
    const noTrials = createBilling(db.knex, { trialDays: 0 });
    const account = await noTrials.accounts.get(await workspace());
    expect(account).toMatchObject({ planId: 'free', status: 'free', trialEndsAt: null });
  });

  it('changes plan and seats locally, keeping workspaces.plan in step, and names wrong fields', async () => {
    const ws = await workspace();
    const upgraded = await billing.accounts.setPlan(ws, { planId: 'starter', seats: 8 });
    expect(upgraded).toMatchObject({ planId: 'starter', status: 'active', seats: 8 });
    expect((await db.knex('workspaces').where({ id: ws }).first<{ plan: string }>('plan')).plan).toBe(
      'starter',
    );
    // Extra seats carry over to a plan that sells them.
    expect(await billing.accounts.setPlan(ws, { planId: 'professional' })).toMatchObject({ seats: 23 });
    await expect(billing.accounts.setPlan(ws, { planId: 'gold' })).rejects.toMatchObject({
      kind: 'invalid',
      field: 'planId',
      message: 'unknown plan "gold"',
    });
    await expect(billing.accounts.setPlan(ws, { planId: 'free', seats: 5 })).rejects.toMatchObject({
      kind: 'invalid',
      field: 'seats',
    });
    // The legacy column still moves the plan (older tools write it).
    await db.knex('workspaces').where({ id: ws }).update({ plan: 'enterprise' });
    expect((await billing.accounts.get(ws)).planId).toBe('enterprise');
  });
});
