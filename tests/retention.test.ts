import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { ConfigError } from '../api/config.js';
import { retentionPolicy } from '../api/retention/policy.js';
import { RetentionPruner } from '../api/retention/pruner.js';
import { createTeam, startApi, type TestApi } from './helpers/api.js';
import type { Body } from './helpers/observability.js';

/** Issue 19: old runs (and their steps, events, Stripe events, mail marks) go after their plan's retention. */

let server: TestApi;
const DAY = 24 * 60 * 60 * 1000;
const now = new Date();
const ago = (days: number): Date => new Date(now.getTime() - days * DAY);

beforeAll(async () => {
  server = await startApi();
});

afterAll(async () => {
  await server?.close();
});

async function seed(workspaceId: string, days: number, status = 'succeeded'): Promise<string> {
  const knex = server.db.knex;
  const id = randomUUID();
  await knex('runs').insert({
    id,
    workspace_id: workspaceId,
    workflow_id: randomUUID(),
    version_id: randomUUID(),
    status,
    trigger_node_id: 'hook',
    input: JSON.stringify({ email: 'lead@example.com' }),
    output: JSON.stringify({ ok: true }),
    created_at: ago(days),
  });
  await knex('steps').insert({
    run_id: id,
    node_id: 'hook',
    status: 'succeeded',
    input: JSON.stringify({ email: 'lead@example.com' }),
    output: JSON.stringify({ email: 'lead@example.com' }),
    logs: JSON.stringify([{ level: 'info', message: 'hi' }]),
  });
  await knex('events').insert({
    workspace_id: workspaceId,
    event_id: `evt-${id}`,
    name: 'lead.created',
    occurred_at: ago(days),
    received_at: ago(days),
  });
  await knex('mail_deliveries').insert({
    workspace_id: workspaceId,
    message_id: `<${id}@revflow>`,
    state: 'sent',
    created_at: ago(days),
  });
  await knex('stripe_events').insert({
    event_id: `evt_${id}`,
    type: 'invoice.paid',
    livemode: false,
    created_at: ago(days),
    received_at: ago(days),
    payload: JSON.stringify({}),
    workspace_id: workspaceId,
  });
  return id;
}

const exists = async (table: string, where: Record<string, unknown>): Promise<boolean> =>
  (await server.db.knex(table).where(where).first()) !== undefined;

describe('retention', () => {
  it('prunes old runs of a Free workspace, keeps recent ones, and keeps an Enterprise workspace’s longer', async () => {
    const free = await createTeam(server);
    const enterprise = await createTeam(server);
    const billing = billingFor(server.db.knex);
    await billing.accounts.setPlan(free.workspaceId, { planId: 'free', status: 'free' });
    await billing.accounts.setPlan(enterprise.workspaceId, { planId: 'enterprise', seats: 100, status: 'active' });

    const oldRun = await seed(free.workspaceId, 400);
    const weekOld = await seed(free.workspaceId, 8);
    const fewDays = await seed(free.workspaceId, 5);
    const recent = await seed(free.workspaceId, 1);
    const oldWaiting = await seed(free.workspaceId, 400, 'waiting');
    const enterpriseMonth = await seed(enterprise.workspaceId, 100);

    const pruner = new RetentionPruner(server.db.knex, { now: () => now, batchSize: 2, pauseMs: 0 });
    const report = await pruner.pass();
    expect(report.complete).toBe(true);

    // Free keeps runs 7 days: the 8- and 400-day-old ones are gone, with their steps.
    expect(await exists('runs', { id: oldRun })).toBe(false);
    expect(await exists('runs', { id: weekOld })).toBe(false);
    expect(await exists('steps', { run_id: weekOld })).toBe(false);
    // ...the recent ones stay; step I/O after 3 days is cleared, the run still listed.
    expect(await exists('runs', { id: recent })).toBe(true);
    const kept = await server.db.knex('runs').where({ id: fewDays }).first<Body>();
    expect(kept).toMatchObject({ status: 'succeeded', input: null, output: null });
    const keptStep = await server.db.knex('steps').where({ run_id: fewDays }).first<Body>();
    expect(keptStep).toMatchObject({ status: 'succeeded', input: null, output: null, logs: [] });
    const recentStep = await server.db.knex('steps').where({ run_id: recent }).first<Body>();
    expect(recentStep.input).toEqual({ email: 'lead@example.com' });
    // An unfinished run is never pruned, however old.
    expect(await exists('runs', { id: oldWaiting })).toBe(true);
    // Events (90 days on Free), mail marks (30) and Stripe events (180): only the 400-day-old ones go.
    expect(await exists('events', { event_id: `evt-${oldRun}` })).toBe(false);
    expect(await exists('events', { event_id: `evt-${weekOld}` })).toBe(true);
    expect(await exists('mail_deliveries', { message_id: `<${oldRun}@revflow>` })).toBe(false);
    expect(await exists('mail_deliveries', { message_id: `<${weekOld}@revflow>` })).toBe(true);
    expect(await exists('stripe_events', { event_id: `evt_${oldRun}` })).toBe(false);
    expect(await exists('stripe_events', { event_id: `evt_${weekOld}` })).toBe(true);
    // Enterprise keeps runs a year.
    expect(await exists('runs', { id: enterpriseMonth })).toBe(true);
    expect(report.runs).toBeGreaterThanOrEqual(2);

    // A second pass finds nothing more to do for these workspaces.
    const again = await pruner.pass();
    expect(await exists('runs', { id: recent })).toBe(true);
    expect(again.complete).toBe(true);
  });

  it('stops at its row budget and goes on at the next pass', async () => {
    const team = await createTeam(server);
    await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'free', status: 'free' });
    const ids = [];
    for (let i = 0; i < 6; i += 1) ids.push(await seed(team.workspaceId, 30));
    const pruner = new RetentionPruner(server.db.knex, {
      now: () => now,
      batchSize: 2,
      maxRowsPerPass: 2,
      pauseMs: 0,
    });
    let passes = 0;
    while ((await server.db.knex('runs').where({ workspace_id: team.workspaceId }).count('* as n'))[0]!.n !== '0') {
      const report = await pruner.pass();
      passes += 1;
      expect(report.runs + report.stepIo + report.events + report.stripeEvents + report.mailDeliveries).toBeLessThanOrEqual(
        4,
      );
      if (passes > 40) throw new Error('retention never finished');
    }
    expect(passes).toBeGreaterThan(1);
  });

  it('takes per-plan overrides and refuses a bad one naming the variable', () => {
    const policy = retentionPolicy({ REVFLOW_RETENTION_FREE: 'runs=14, step_io=20' });
    // Step I/O never outlives its run; mail marks never go before it.
    expect(policy.daysFor('free')).toMatchObject({ runs: 14, stepIo: 14, mailDeliveries: 30 });
    expect(policy.daysFor('unknown-plan')).toMatchObject({ runs: 14 });
    expect(policy.daysFor('enterprise').runs).toBe(365);
    expect(() => retentionPolicy({ REVFLOW_RETENTION_STARTER: 'runs=0' })).toThrow(ConfigError);
    expect(() => retentionPolicy({ REVFLOW_RETENTION_STARTER: 'forever=1' })).toThrow(/REVFLOW_RETENTION_STARTER/);
  });
});
