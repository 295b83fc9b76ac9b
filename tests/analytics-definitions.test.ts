import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activation } from '../api/analytics/activation.js';
import { churnFromFacts } from '../api/analytics/churn.js';
import { milestoneSources } from '../api/analytics/milestones.js';
import type { SchemaProbe } from '../api/analytics/schema-probe.js';
import { lifecycle, retentionGrid } from '../api/analytics/retention.js';
import { revenue } from '../api/analytics/revenue.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';

/**
 * The definitions (README "Analytics") checked on events written by hand: every expected
 * number below was worked out on paper from the rows inserted in the same test.
 */
let db: TestDatabase;
let knex: Knex;

async function workspace(name: string): Promise<string> {
  const [row] = await knex('workspaces')
    .insert({ name, slug: `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}` })
    .returning<Array<{ id: string }>>('id');
  return row!.id;
}

let eventCounter = 0;
async function event(workspaceId: string, name: string, at: string, data: Record<string, unknown>): Promise<void> {
  eventCounter += 1;
  await knex('events').insert({
    workspace_id: workspaceId,
    event_id: `e${eventCounter}`,
    name,
    data: JSON.stringify(data),
    occurred_at: new Date(at),
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  knex = db.knex;
});
afterAll(async () => {
  await db?.drop();
});

describe('retention and lifecycle over the events a workspace posts about its own users', () => {
  let shop: string;
  let other: string;
  // Weeks (ISO, Monday): W0 = 2 Mar 2026, W1 = 9 Mar, W2 = 16 Mar, W3 = 23 Mar.
  const to = new Date('2026-03-29T12:00:00Z');

  beforeAll(async () => {
    shop = await workspace('Shop');
    other = await workspace('Other');
    const signups: Array<[string, string]> = [
      ['u1', '2026-03-02T09:00:00Z'],
      ['u2', '2026-03-03T09:00:00Z'],
      ['u3', '2026-03-04T09:00:00Z'],
      ['u4', '2026-03-10T09:00:00Z'],
      ['u5', '2026-03-12T09:00:00Z'],
      ['u6', '2026-02-20T09:00:00Z'],
      ['u7', '2026-03-17T09:00:00Z'],
      ['u7', '2026-03-24T09:00:00Z'],
      ['u8', '2026-03-24T10:00:00Z'],
    ];
    for (const [subject, at] of signups) await event(shop, 'app.signed_up', at, { subject });
    const uses: Array<[string, string]> = [
      ['u1', '2026-03-10T09:00:00Z'],
      ['u1', '2026-03-24T09:00:00Z'],
      ['u2', '2026-03-17T09:00:00Z'],
      ['u4', '2026-03-11T09:00:00Z'],
      ['u4', '2026-03-18T09:00:00Z'],
      ['u5', '2026-03-25T09:00:00Z'],
      ['u6', '2026-03-10T09:00:00Z'],
      ['u7', '2026-03-24T09:00:00Z'],
      ['u8', '2026-03-24T11:00:00Z'],
    ];
    for (const [userId, at] of uses) await event(shop, 'app.used', at, { userId });
    // Another workspace's users with the same event names never count.
    await event(other, 'app.signed_up', '2026-03-02T09:00:00Z', { subject: 'x1' });
    await event(other, 'app.used', '2026-03-10T09:00:00Z', { subject: 'x1' });
  });

  const scope = () => ({ workspaceIds: [shop], source: 'custom' as const, level: 'user' as const });
  const query = { unit: 'week' as const, periods: 4, startEvents: ['app.signed_up'], returnEvents: ['app.used'], to };

  it('counts first-time weekly cohorts "on" each period, period 0 = 100%', async () => {
    const grid = await retentionGrid(knex, scope(), { ...query, mode: 'on' });
    expect(grid.cohorts.map((cohort) => [cohort.start.slice(0, 10), cohort.retained, cohort.percent])).toEqual([
      ['2026-03-02', [3, 1, 1, 1], [100, 33.3, 33.3, 33.3]],
      ['2026-03-09', [2, 1, 1], [100, 50, 50]],
      ['2026-03-16', [1, 1], [100, 100]],
      ['2026-03-23', [1], [100]],
    ]);
    expect(grid.weightedMean).toEqual([100, 50, 40, 33.3]);
  });

  it('counts "on or after": retained in a period or any later one', async () => {
    const grid = await retentionGrid(knex, scope(), { ...query, mode: 'onOrAfter' });
    expect(grid.cohorts.map((cohort) => cohort.retained)).toEqual([[3, 2, 2, 1], [2, 2, 1], [1, 1], [1]]);
  });

  it('splits each week into new, returning, resurrecting and dormant (PostHog)', async () => {
    const weeks = await lifecycle(knex, scope(), {
      unit: 'week',
      periods: 4,
      activeEvents: ['app.used'],
      createdEvents: 'any',
      to,
    });
    expect(weeks.map((week) => [week.start.slice(0, 10), week.new, week.returning, week.resurrecting, week.dormant])).toEqual([
      ['2026-03-02', 0, 0, 0, 0],
      ['2026-03-09', 1, 0, 2, 0],
      ['2026-03-16', 0, 1, 1, -2],
      ['2026-03-23', 1, 0, 3, -2],
    ]);
  });

  it('answers per account (data.accountId) as well as per user', async () => {
    const accounts = await workspace('Accounts');
    await event(accounts, 'app.signed_up', '2026-03-02T09:00:00Z', { userId: 'a', accountId: 'acme' });
    await event(accounts, 'app.signed_up', '2026-03-03T09:00:00Z', { userId: 'b', accountId: 'acme' });
    await event(accounts, 'app.signed_up', '2026-03-04T09:00:00Z', { userId: 'c', accountId: 'beta' });
    await event(accounts, 'app.used', '2026-03-11T09:00:00Z', { userId: 'b', accountId: 'acme' });
    const grid = await retentionGrid(
      knex,
      { workspaceIds: [accounts], source: 'custom', level: 'account' },
      { ...query, periods: 2, to: new Date('2026-03-12T00:00:00Z'), mode: 'on' },
    );
    expect(grid.cohorts.map((cohort) => cohort.retained)).toEqual([[2, 1], [0]]);
  });
});

describe('activation over the platform milestones (accounts = workspaces)', () => {
  it('computes the funnel, the rate within 14 days, time to milestones by cohort and plan', async () => {
    const fresh = await freshDatabase();
    try {
      knex = fresh.knex;
      const [a, b, c, d] = [await workspace('A'), await workspace('B'), await workspace('C'), await workspace('D')];
      const milestone = (ws: string, name: string, at: string) => event(ws, `activation.${name}`, at, { userId: `owner-${ws}` });
      await milestone(a, 'account_created', '2026-03-01T00:00:00Z');
      await milestone(a, 'first_lead_added', '2026-03-02T00:00:00Z');
      await milestone(a, 'first_campaign_launched', '2026-03-03T00:00:00Z');
      await milestone(a, 'first_email_sent', '2026-03-04T00:00:00Z');
      await milestone(b, 'account_created', '2026-03-01T00:00:00Z');
      await milestone(b, 'first_lead_added', '2026-03-05T00:00:00Z');
      await milestone(b, 'first_campaign_launched', '2026-03-20T00:00:00Z');
      await milestone(b, 'first_email_sent', '2026-03-21T00:00:00Z');
      await milestone(c, 'account_created', '2026-03-09T00:00:00Z');
      await milestone(c, 'first_lead_added', '2026-03-09T12:00:00Z');
      await milestone(d, 'account_created', '2026-03-10T00:00:00Z');
      const plan = (ws: string, plan_id: string, status: string) =>
        knex('billing_accounts').insert({
          workspace_id: ws,
          plan_id,
          status,
          seats: 5,
          current_period_start: new Date('2026-03-01'),
          current_period_end: new Date('2026-04-01'),
        });
      await plan(a, 'starter', 'active');
      await plan(b, 'starter', 'active');
      await plan(c, 'free', 'free');
      await plan(d, 'free', 'free');

      const result = await activation(
        knex,
        { workspaceIds: null, source: 'platform', level: 'account' },
        { milestones: ['first_lead_added', 'first_campaign_launched', 'first_email_sent'], days: 14, unit: 'week' },
      );
      const funnel = Object.fromEntries(result.funnel.map((step) => [step.key, [step.count, step.percent]]));
      expect(funnel).toMatchObject({
        'activation.account_created': [4, 100],
        'activation.first_lead_added': [3, 75],
        'activation.first_campaign_launched': [2, 50],
        'activation.first_email_sent': [2, 50],
        'activation.crm_connected': [0, 0],
      });
      // B launched its campaign 19 days after signup: outside 14 days, not activated.
      expect([result.subjects, result.activated, result.rate]).toEqual([4, 1, 25]);
      expect(result.byCohort.map((cohort) => [cohort.cohort.slice(0, 10), cohort.subjects, cohort.rate])).toEqual([
        ['2026-02-23', 2, 50],
        ['2026-03-09', 2, 0],
      ]);
      // Hours from signup: leads 24 (A), 96 (B), 12 (C) → median 24; launches 48 and 456 → 252.
      const all = result.byPlan.find((group) => group.plan === 'starter');
      expect(all).toMatchObject({ subjects: 2, activated: 1, rate: 50 });
      expect(all?.medianHours['activation.first_lead_added']).toBe(60);
      expect(result.byPlan.find((group) => group.plan === 'free')).toMatchObject({ subjects: 2, activated: 0, rate: 0 });
      const cohortOne = result.byCohort[0]!;
      expect(cohortOne.medianHours['activation.first_campaign_launched']).toBe(252);
    } finally {
      knex = db.knex;
      await fresh.drop();
    }
  });
});

describe('MRR movements, NRR and GRR from billing history', () => {
  it('classifies each month and computes NRR/GRR for the opening cohort (ChartMogul)', async () => {
    const fresh = await freshDatabase();
    try {
      knex = fresh.knex;
      const ids = { r1: '', r2: '', r3: '', r4: '', r5: '', r6: '' };
      for (const key of Object.keys(ids) as Array<keyof typeof ids>) ids[key] = await workspace(key);
      const state = (ws: string, at: string, plan_id: string, status: string, seats: number) =>
        knex('analytics_plan_history').insert({ workspace_id: ws, at: new Date(at), plan_id, status, seats });
      // Starter $49 (5 seats, extra $10), Professional $299 (20 seats, extra $15).
      await state(ids.r1, '2025-12-10', 'starter', 'active', 5);
      await state(ids.r1, '2026-02-10', 'professional', 'active', 20);
      await state(ids.r2, '2025-12-05', 'professional', 'active', 22);
      await state(ids.r2, '2026-03-03', 'starter', 'active', 5);
      await state(ids.r3, '2025-11-01', 'starter', 'active', 5);
      await state(ids.r3, '2026-01-20', 'starter', 'canceled', 5);
      await state(ids.r4, '2026-01-15', 'starter', 'active', 5);
      await state(ids.r4, '2026-04-05', 'starter', 'active', 8);
      await state(ids.r5, '2025-10-01', 'starter', 'active', 5);
      await state(ids.r5, '2025-11-15', 'starter', 'canceled', 5);
      await state(ids.r5, '2026-03-10', 'starter', 'active', 7);
      await state(ids.r6, '2026-02-02', 'professional', 'trialing', 20);
      await state(ids.r6, '2026-02-15', 'professional', 'active', 20);

      const result = await revenue(knex, null, { months: 4, to: new Date('2026-04-15T00:00:00Z') });
      expect(
        result.months.map((m) => [m.month, m.new, m.expansion, m.contraction, m.churn, m.reactivation, m.net, m.mrr, m.nrr, m.grr]),
      ).toEqual([
        ['2026-01', 4900, 0, 0, 4900, 0, 0, 42700, 88.5, 88.5],
        ['2026-02', 29900, 25000, 0, 0, 0, 54900, 97600, 158.5, 100],
        ['2026-03', 0, 0, 28000, 0, 6900, -21100, 76500, 71.3, 71.3],
        ['2026-04', 0, 3000, 0, 0, 0, 3000, 79500, 103.9, 100],
      ]);
      // Opening cohort on 1 Jan: r1 (+25,000), r2 (−28,000), r3 (−4,900) of 42,700.
      expect(result.period).toEqual({ from: '2026-01', to: '2026-04', startingMrr: 42700, nrr: 81.5, grr: 23 });
      expect(result.cohorts).toEqual([
        { month: '2026-01', accounts: 1, startingMrr: 4900, nrr: [100, 100, 100, 161.2] },
        { month: '2026-02', accounts: 1, startingMrr: 29900, nrr: [100, 100, 100] },
      ]);
    } finally {
      knex = db.knex;
      await fresh.drop();
    }
  });
});

describe('churn risk formula', () => {
  it('adds the documented points and lists the reasons, biggest first', () => {
    const now = new Date('2026-03-30T00:00:00Z');
    const result = churnFromFacts(
      {
        workspace_id: 'w',
        name: 'Acme',
        created_at: new Date('2026-01-29T00:00:00Z'),
        plan_id: 'professional',
        status: 'past_due',
        seats: 20,
        members: 5,
        recent_days: 2,
        baseline_days: 20,
        usage_recent: '30',
        usage_before: '100',
        payment_failed: 0,
        nps_min: 4,
        milestones: 6,
        last_milestone: new Date('2026-03-10T00:00:00Z'),
        owner_user_id: null,
        owner_email: null,
        owner_name: null,
      },
      now,
    );
    // 20 (past due) + 30 × (1 − 2/5) = 18 + 15 (NPS 4) + 15 (20 quiet days) + 10 × 15/20 = 7.5 + 10 × 0.7 = 7 → 82.5
    expect(result.score).toBe(83);
    expect(result.reasons.map((reason) => [reason.factor, reason.points])).toEqual([
      ['failed_payment', 20],
      ['activity_decline', 18],
      ['nps_detractor', 15],
      ['no_milestone', 15],
      ['unused_seats', 7.5],
      ['usage_decline', 7],
    ]);
    expect(result.reasons[1]?.text).toBe(
      'Activity down 60% vs its 4-week baseline (2 active user-days this week, 5.0 a week before)',
    );
  });
});

describe('the activity detector before other features ship their tables', () => {
  it('falls back to billing meters and runs every query without the leads and campaigns tables', async () => {
    // A database as it was before Outbound: no leads, campaigns or sends tables.
    const missing = new Set(['outbound_leads', 'outbound_campaigns', 'outbound_sends', 'leads', 'campaigns', 'integrations', 'crm_connections']);
    const probe = {
      hasTable: async (table: string) => !missing.has(table),
      firstTable: async (tables: readonly string[]) => tables.find((table) => !missing.has(table)),
      firstColumn: async (table: string, columns: readonly string[]) => (missing.has(table) ? undefined : columns[0]),
    } as unknown as SchemaProbe;
    const sources = await milestoneSources(probe);
    expect(sources.first_lead_added).toContain("t.meter = 'leads'");
    expect(sources.first_lead_added).not.toContain('outbound_leads');
    expect(sources.first_campaign_launched).toContain("t.meter = 'campaigns'");
    expect(sources.first_campaign_created).toBeUndefined();
    for (const [milestone, sql] of Object.entries(sources)) {
      const outcome = await knex.raw(`SELECT count(*) FROM (${sql}) s`).then(
        () => 'ran',
        (error: Error) => error.message,
      );
      expect(outcome, milestone).toBe('ran');
    }
  });
});

describe('lifecycle per account on the platform events (PostHog: new = created in this interval)', () => {
  it('tells new, returning, resurrecting and dormant workspaces apart by when they were created', async () => {
    const fresh = await freshDatabase();
    try {
      knex = fresh.knex;
      // Weeks: W0 = 2 Mar 2026, W1 = 9 Mar, W2 = 16 Mar. "Created" = activation.account_created.
      const [a, b, c, d] = [await workspace('A'), await workspace('B'), await workspace('C'), await workspace('D')];
      const at = (ws: string, name: string, when: string) => event(ws, name, when, { userId: `u-${ws}` });
      await at(a, 'activation.account_created', '2026-02-20T09:00:00Z'); // before the window
      await at(a, 'session.login', '2026-03-03T09:00:00Z'); // W0
      await at(a, 'session.login', '2026-03-10T09:00:00Z'); // W1
      await at(b, 'activation.account_created', '2026-03-09T09:00:00Z'); // created W1
      await at(b, 'session.active_day', '2026-03-17T09:00:00Z'); // active only W2
      await at(c, 'activation.account_created', '2026-03-10T09:00:00Z'); // created W1
      await at(c, 'session.login', '2026-03-10T10:00:00Z'); // W1
      await at(c, 'session.login', '2026-03-17T10:00:00Z'); // W2
      await at(d, 'activation.account_created', '2026-01-05T09:00:00Z');
      await at(d, 'session.login', '2026-03-18T09:00:00Z'); // W2 only, first time in the window
      const weeks = await lifecycle(
        knex,
        { workspaceIds: null, source: 'platform', level: 'account' },
        {
          unit: 'week',
          periods: 3,
          activeEvents: ['session.login', 'session.active_day'],
          createdEvents: ['activation.account_created'],
          to: new Date('2026-03-20T00:00:00Z'),
        },
      );
      // By hand:
      // W0: A active, created before, not active in W-1 → resurrecting.
      // W1: A active in W0 and W1 → returning; C created and active in W1 → new;
      //     B created in W1 but not active → nothing. Nobody active in W0 but not W1.
      // W2: C returning; B (created W1, inactive W1) → resurrecting, not new; D → resurrecting
      //     (its first activity in the window, but created in January); A dormant.
      expect(weeks.map((week) => [week.start.slice(0, 10), week.new, week.returning, week.resurrecting, week.dormant])).toEqual([
        ['2026-03-02', 0, 0, 1, 0],
        ['2026-03-09', 1, 1, 0, 0],
        ['2026-03-16', 0, 1, 2, -1],
      ]);
    } finally {
      knex = db.knex;
      await fresh.drop();
    }
  });
});

describe('the first-seen rollup', () => {
  it('keeps the earliest time of each event per person, even when an older event arrives later', async () => {
    const ws = await workspace('Rollup');
    await event(ws, 'app.signed_up', '2026-03-10T09:00:00Z', { subject: 'late' });
    await event(ws, 'app.signed_up', '2026-03-03T09:00:00Z', { subject: 'late' });
    await event(ws, 'app.signed_up', '2026-03-20T09:00:00Z', { subject: 'late' });
    await event(ws, 'app.used', '2026-03-11T09:00:00Z', { subject: 'late' });
    await event(ws, 'app.used', '2026-03-11T09:00:00Z', {});
    const rows = await knex('analytics_first_seen')
      .where({ workspace_id: ws })
      .orderBy(['name', 'subject'])
      .select<Array<{ name: string; subject: string; first_at: Date }>>('name', 'subject', 'first_at');
    expect(rows.map((row) => [row.name, row.subject, row.first_at.toISOString()])).toEqual([
      ['app.signed_up', 'late', '2026-03-03T09:00:00.000Z'],
      ['app.used', '', '2026-03-11T09:00:00.000Z'],
      ['app.used', 'late', '2026-03-11T09:00:00.000Z'],
    ]);
    // The cohort is the week of the earliest signup (2 Mar), as a scan of the events says.
    const grid = await retentionGrid(
      knex,
      { workspaceIds: [ws], source: 'custom', level: 'user' },
      { unit: 'week', periods: 2, mode: 'on', startEvents: ['app.signed_up'], returnEvents: ['app.used'], to: new Date('2026-03-12T00:00:00Z') },
    );
    expect(grid.cohorts.map((cohort) => [cohort.start.slice(0, 10), cohort.retained])).toEqual([
      ['2026-03-02', [1, 1]],
      ['2026-03-09', [0]],
    ]);
  });
});
