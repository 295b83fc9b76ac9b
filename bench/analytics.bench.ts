/**
 * Growth analytics and the Salesboard over 1,000,000 events (issue 15: ≤ 500 ms per query).
 * A throwaway embedded Postgres; the events are made in SQL with generate_series:
 * - one workspace's own product events about 20,000 customers (500,000: signups and use),
 * - 100,000 outbound / voice / deal events of 10 reps in that workspace,
 * - 200 workspaces × 2,000 platform events (active days and logins of 10 people, milestones).
 * Each query runs 20 times after a warm-up; the figures are p50 and p95.
 */
import type { Knex } from 'knex';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { activation } from '../api/analytics/activation.js';
import { scoreChurn } from '../api/analytics/churn.js';
import { lifecycle, retentionGrid } from '../api/analytics/retention.js';
import { revenue } from '../api/analytics/revenue.js';
import { openDatabase } from '../api/db/database.js';
import { buildBoard } from '../api/salesboard/board.js';
import { REBUILD_FIRST_SEEN } from '../api/analytics/first-seen.js';
import { loadAverage } from './procs.js';
import { median, percentile, type Figure } from './stats.js';

const NOW = new Date('2026-06-01T00:00:00Z');

const INDEXES = ['events_workspace_received_idx', 'events_analytics_ws_idx', 'events_analytics_name_idx'];
const SAMPLES = 20;

/**
 * The million events, in SQL (generate_series): loaded first and indexed after, as a bulk
 * import would; the first-seen rollup is built in one pass the same way (its trigger is off
 * while loading, as the migration's backfill does it). Returns the main workspace.
 */
export async function seedMillion(knex: Knex, progress: (what: string) => void = () => {}): Promise<string> {
  const indexes = await knex.raw<{ rows: Array<{ indexname: string; indexdef: string }> }>(
    'SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ? AND indexname = ANY(?)',
    ['events', INDEXES],
  );
  for (const index of indexes.rows) await knex.raw(`DROP INDEX ${index.indexname}`);
  await knex.raw('ALTER TABLE events DISABLE TRIGGER events_first_seen');
  await knex.raw(`INSERT INTO workspaces (name, slug, created_at)
    SELECT 'bench ' || i, 'bench-' || i, :now::timestamptz - (i || ' days')::interval FROM generate_series(0, 200) i`, { now: NOW });
  const [main] = await knex('workspaces').where({ slug: 'bench-0' }).select<Array<{ id: string }>>('id');
  const ws = main!.id;
  await knex.raw(`INSERT INTO billing_accounts (workspace_id, plan_id, status, seats, current_period_start, current_period_end, created_at)
    SELECT id, (ARRAY['starter', 'professional', 'enterprise'])[1 + abs(hashtext(id::text)) % 3], 'active', 20,
           created_at, created_at + interval '1 month', created_at FROM workspaces`);
  // Customers: a signup each, then 480,000 uses over the 120 days after.
  await knex.raw(`INSERT INTO events (workspace_id, event_id, name, data, occurred_at)
    SELECT :ws, 's' || i, 'app.signed_up', jsonb_build_object('subject', 'c' || i, 'accountId', 'a' || (i % 2000)),
           :now::timestamptz - ((i % 120) || ' days')::interval - ((i % 24) || ' hours')::interval
      FROM generate_series(1, 20000) i`, { ws, now: NOW });
  await knex.raw(`INSERT INTO events (workspace_id, event_id, name, data, occurred_at)
    SELECT :ws, 'u' || i, 'app.used', jsonb_build_object('subject', 'c' || (1 + (i::bigint * 7919) % 20000), 'accountId', 'a' || ((i::bigint * 7919) % 2000)),
           :now::timestamptz - (((i * 31) % 120) || ' days')::interval - ((i % 1440) || ' minutes')::interval
      FROM generate_series(1, 480000) i`, { ws, now: NOW });
  // The reps' outbound work over the last 30 days.
  await knex.raw(`INSERT INTO events (workspace_id, event_id, name, data, occurred_at)
    SELECT :ws, 'o' || i,
           (ARRAY['outbound.email_sent', 'outbound.email_sent', 'outbound.email_sent', 'voice.call_completed', 'outbound.replied',
                  'outbound.email_sent', 'outbound.meeting_booked', 'deal.created', 'outbound.email_sent', 'deal.won'])[1 + i % 10],
           jsonb_build_object('userId', 'rep' || (i % 10), 'leadId', 'l' || (i / 5), 'amount', 1000 + i % 5000),
           :now::timestamptz - ((i % 43200) || ' minutes')::interval
      FROM generate_series(1, 100000) i`, { ws, now: NOW });
  // Platform events in 200 workspaces: 10 people active on 180 days, plus logins and milestones.
  await knex.raw(`INSERT INTO events (workspace_id, event_id, name, data, occurred_at)
    SELECT w.id, 'p' || g.i, CASE WHEN g.i % 10 = 0 THEN 'session.login' ELSE 'session.active_day' END,
           jsonb_build_object('userId', w.id::text || ':' || (g.i % 10)),
           :now::timestamptz - ((g.i % 180) || ' days')::interval
      FROM workspaces w CROSS JOIN generate_series(1, 1990) g(i) WHERE w.slug <> 'bench-0'`, { now: NOW });
  await knex.raw(`INSERT INTO events (workspace_id, event_id, name, data, occurred_at)
    SELECT w.id, 'm' || m.name, 'activation.' || m.name, jsonb_build_object('userId', w.id::text || ':0'),
           w.created_at + (m.n || ' hours')::interval
      FROM workspaces w
      CROSS JOIN (SELECT name, row_number() OVER () * 20 AS n FROM unnest(ARRAY['account_created', 'profile_completed',
        'onboarding_completed', 'first_lead_added', 'first_campaign_created', 'first_campaign_launched', 'first_email_sent',
        'email_account_connected', 'crm_connected', 'team_member_invited']) name) m
     WHERE w.slug <> 'bench-0' AND (m.name = 'account_created' OR abs(hashtext(w.id::text || m.name)) % 3 > 0)`, { now: NOW });
  progress('1M events inserted');
  for (const index of indexes.rows) await knex.raw(index.indexdef);
  await knex.raw('ALTER TABLE events ENABLE TRIGGER events_first_seen');
  await knex.raw(REBUILD_FIRST_SEEN);
  // What autovacuum does on a live table: the visibility map lets the indexes answer alone.
  await knex.raw('VACUUM ANALYZE events');
  await knex.raw('VACUUM ANALYZE analytics_first_seen');
  await knex.raw('VACUUM ANALYZE salesboard_activity');
  progress('indexed, rolled up and vacuumed');
  return ws;
}

/** The queries the pages run, as the bench times them. */
export function analyticsCases(knex: Knex, ws: string): Array<[string, () => Promise<unknown>]> {
  const own = { workspaceIds: [ws], source: 'custom' as const, level: 'user' as const };
  const admin = { workspaceIds: null, source: 'platform' as const, level: 'account' as const };
  return [
    ['retention grid, 8 weeks, 500k customer events', () =>
      retentionGrid(knex, own, { unit: 'week', periods: 8, mode: 'onOrAfter', startEvents: ['app.signed_up'], returnEvents: ['app.used'], to: NOW })],
    ['retention grid, 30 days (accounts)', () =>
      retentionGrid(knex, { ...own, level: 'account' }, { unit: 'day', periods: 24, mode: 'on', startEvents: ['app.signed_up'], returnEvents: ['app.used'], to: NOW })],
    ['lifecycle, 8 weeks, customer events', () =>
      lifecycle(knex, own, { unit: 'week', periods: 8, activeEvents: ['app.used'], createdEvents: 'any', to: NOW })],
    ['lifecycle, 6 months, all workspaces (accounts)', () =>
      lifecycle(knex, admin, { unit: 'month', periods: 6, activeEvents: ['session.login', 'session.active_day'], createdEvents: ['activation.account_created'], to: NOW })],
    ['retention grid, all workspaces, per user (400k events)', () =>
      retentionGrid(knex, { ...admin, level: 'user' }, { unit: 'month', periods: 6, mode: 'on', startEvents: ['session.active_day'], returnEvents: ['session.login', 'session.active_day'], to: NOW })],
    ['activation funnel, all workspaces', () =>
      activation(knex, admin, { milestones: ['first_lead_added', 'first_campaign_launched', 'first_email_sent'], days: 14, unit: 'week' })],
    ['custom funnel, 20k customers', () =>
      activation(knex, own, { milestones: [], days: 14, unit: 'week', steps: ['app.signed_up', 'app.used'] })],
    ['MRR movements and NRR, 12 months', () => revenue(knex, null, { months: 12, to: NOW })],
    ['churn risk, 201 workspaces', () => scoreChurn(knex, { now: NOW })],
    ['salesboard, 10 reps, 30 days (100k events)', () => buildBoard(knex, ws, { to: NOW, days: 30 })],
  ];
}

export async function benchAnalytics(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'revflow-bench-analytics-'));
  const db = await openDatabase({ dataDir });
  const figures: Figure[] = [];
  try {
    const started = performance.now();
    const progress = (what: string): void => {
      process.stderr.write(`analytics bench: ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    };
    const ws = await seedMillion(db.knex, progress);
    const count = await db.knex('events').count<Array<{ count: string }>>('* as count');
    figures.push({ name: 'events generated', value: Number(count[0]!.count), unit: 'events' });
    figures.push({ name: 'generating and indexing them (SQL)', value: (performance.now() - started) / 1000, unit: 's' });
    figures.push(...(await timeCases(analyticsCases(db.knex, ws), progress)));
    return figures;
  } finally {
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Each query once to warm up, then SAMPLES times: p50 and p95. */
export async function timeCases(
  cases: Array<[string, () => Promise<unknown>]>,
  progress: (what: string) => void = () => {},
): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [name, run] of cases) {
    await run();
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const t = performance.now();
      await run();
      samples.push(performance.now() - t);
    }
    const load = loadAverage();
    figures.push({ name: `${name} (p50)`, value: median(samples), unit: 'ms', target: '≤ 500 ms', load });
    figures.push({ name: `${name} (p95)`, value: percentile(samples, 95), unit: 'ms', target: '≤ 500 ms', load });
    progress(`${name}: p50 ${median(samples).toFixed(0)} ms, p95 ${percentile(samples, 95).toFixed(0)} ms`);
  }
  return figures;
}

if (process.argv[1]?.endsWith('analytics.bench.ts')) {
  for (const figure of await benchAnalytics()) console.log(`${figure.name}: ${figure.value.toFixed(1)} ${figure.unit}`);
  process.exit(0);
}
