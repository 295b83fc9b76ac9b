import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { billingFor } from '../api/billing/hub.js';
import { churnRiskTaskTemplate } from '../canvas/templates/analytics.js';
import { createTeam, startApi, type ApiClient, type Team, type TestApi } from './helpers/api.js';

interface StoredEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  occurredAt: string;
}
type Body = Record<string, unknown>;

const ADMIN_EMAIL = `analytics-admin-${Date.now()}@revflow.example`;
const DAY = 86_400_000;

describe('growth analytics API', () => {
  let server: TestApi;
  let team: Team;
  let admin: ApiClient;
  const previousAdmins = process.env.REVFLOW_ADMIN_EMAILS;

  beforeAll(async () => {
    process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
    server = await startApi({ engine: true });
    team = await createTeam(server);
    admin = server.client();
    await admin.signup({ email: ADMIN_EMAIL });
  });
  afterAll(async () => {
    process.env.REVFLOW_ADMIN_EMAILS = previousAdmins;
    await server?.close();
  });

  const base = (workspaceId: string) => `/api/v1/workspaces/${workspaceId}`;
  const refresh = (client: ApiClient, workspaceId: string) =>
    client.post<Body>(`${base(workspaceId)}/analytics/refresh`, {});
  const eventsNamed = async (client: ApiClient, workspaceId: string, name: string): Promise<StoredEvent[]> =>
    (await client.get<{ items: StoredEvent[] }>(`${base(workspaceId)}/events?name=${name}&limit=500`)).body.items;

  it('emits milestones from the rows of the facts, once, with their time and user', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const ws = account.workspaceId;
    const credential = await owner.post<Body>(`${base(ws)}/credentials`, {
      name: 'Our mail server',
      type: 'smtp',
      data: { host: 'smtp.example.com' },
    });
    expect(credential.status).toBe(201);
    expect((await owner.post(`${base(ws)}/invitations`, { email: 'new.rep@example.com', role: 'member' })).status).toBe(201);
    await billingFor(server.db.knex).usage.record(ws, { meter: 'leads', idempotencyKey: 'l1', subject: 'lead@x.io' });

    expect((await refresh(owner, ws)).status).toBe(200);
    const created = await eventsNamed(owner, ws, 'activation.account_created');
    const membership = await server.db.knex('memberships').where({ workspace_id: ws }).first<{ created_at: Date }>('created_at');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      id: `activation.account_created:${ws}:${account.userId}`,
      data: { userId: account.userId, milestone: 'account_created', scope: 'user' },
      occurredAt: membership.created_at.toISOString(),
    });
    for (const milestone of ['email_account_connected', 'team_member_invited', 'first_lead_added']) {
      const [event] = await eventsNamed(owner, ws, `activation.${milestone}`);
      expect(event?.id, milestone).toBe(`activation.${milestone}:${ws}`);
      expect(event?.data.userId, milestone).toBe(account.userId);
    }
    // Nothing that did not happen, and nothing twice.
    expect(await eventsNamed(owner, ws, 'activation.crm_connected')).toEqual([]);
    const again = await refresh(owner, ws);
    expect(again.body.milestones).toBe(0);
    expect(await eventsNamed(owner, ws, 'activation.team_member_invited')).toHaveLength(1);
  });

  it('backfills an old workspace with the times of its facts, so it is not new', async () => {
    const owner = server.client();
    const account = await owner.signup();
    const longAgo = new Date('2025-01-06T10:00:00Z');
    const knex = server.db.knex;
    // As if it were made before analytics existed: nothing was detected for it yet.
    await knex('analytics_milestones').where({ workspace_id: account.workspaceId }).delete();
    await knex('memberships').where({ workspace_id: account.workspaceId }).update({ created_at: longAgo });
    await refresh(owner, account.workspaceId);
    const [created] = await eventsNamed(owner, account.workspaceId, 'activation.account_created');
    expect(created?.occurredAt).toBe(longAgo.toISOString());
    // The backfill again (another pass, or another process): nothing is emitted twice.
    const second = await refresh(owner, account.workspaceId);
    expect(second.body.milestones).toBe(0);
    expect(await eventsNamed(owner, account.workspaceId, 'activation.account_created')).toHaveLength(1);
    const count = async (query: ReturnType<typeof knex>): Promise<number> =>
      Number((await query.count<Array<{ count: string }>>('* as count'))[0]!.count);
    // One event per milestone found, for the whole workspace.
    expect(await count(knex('events').where({ workspace_id: account.workspaceId }).where('name', 'like', 'activation.%'))).toBe(
      await count(knex('analytics_milestones').where({ workspace_id: account.workspaceId })),
    );
    // Logging in this week: "resurrecting" in the lifecycle, not "new".
    await owner.post('/api/v1/auth/logout');
    expect((await owner.post('/api/v1/auth/login', { email: account.email, password: account.password })).status).toBe(200);
    await refresh(owner, account.workspaceId);
    const [login] = await eventsNamed(owner, account.workspaceId, 'session.login');
    expect(login?.data.userId).toBe(account.userId);
    const lifecycle = await owner.get<{ intervals: Array<Record<string, number>> }>(
      `${base(account.workspaceId)}/analytics/lifecycle?unit=week&periods=2`,
    );
    expect(lifecycle.status).toBe(200);
    expect(lifecycle.body.intervals.at(-1)).toMatchObject({ new: 0, resurrecting: 1, returning: 0 });
  });

  it('shows a workspace to its owner only, and every workspace to instance admins', async () => {
    const path = `${base(team.workspaceId)}/analytics/activation`;
    for (const member of [team.viewer, team.member, team.admin]) {
      expect((await member.client.get(path)).status).toBe(403);
    }
    expect((await team.owner.client.get(path)).status).toBe(200);
    expect((await team.outsider.client.get(path)).status).toBe(404);
    expect((await team.owner.client.get('/api/v1/admin/analytics/activation')).status).toBe(403);
    expect((await server.client().get('/api/v1/admin/analytics/activation')).status).toBe(401);

    await refresh(team.owner.client, team.workspaceId);
    const everyone = await admin.get<{ subjects: number; funnel: Array<{ key: string; count: number }> }>(
      '/api/v1/admin/analytics/activation',
    );
    expect(everyone.status).toBe(200);
    const workspaces = await server.db.knex('workspaces').count<Array<{ count: string }>>('* as count');
    // Accounts are workspaces: every one of them signed up.
    expect(everyone.body.subjects).toBe(Number(workspaces[0]!.count));
    const own = await team.owner.client.get<{ subjects: number }>(path);
    // The owner's view: the workspace's four people (owner, admin, member, viewer; not the outsider).
    expect(own.body.subjects).toBe(4);
    for (const route of ['retention', 'lifecycle', 'revenue', 'churn-risk']) {
      expect((await admin.get(`/api/v1/admin/analytics/${route}`)).status, route).toBe(200);
      expect((await team.member.client.get(`${base(team.workspaceId)}/analytics/${route}`)).status, route).toBe(403);
    }
  });

  it('runs the same cohort query over the events a workspace posts about its own customers', async () => {
    const owner = team.owner.client;
    const ws = team.workspaceId;
    const week = (n: number) => new Date(Date.UTC(2026, 0, 5) + n * 7 * DAY).toISOString();
    for (const [id, subject, name, at] of [
      ['s1', 'cust-1', 'app.signed_up', week(0)],
      ['s2', 'cust-2', 'app.signed_up', week(0)],
      ['u1', 'cust-1', 'app.used', week(1)],
      ['u2', 'cust-2', 'app.used', week(2)],
      ['u3', 'cust-1', 'app.used', week(2)],
    ] as const) {
      expect((await owner.post(`${base(ws)}/events`, { id, name, data: { subject }, occurredAt: at })).status).toBe(202);
    }
    const grid = await owner.get<{ cohorts: Array<{ start: string; retained: number[] }> }>(
      `${base(ws)}/analytics/retention?source=custom&startEvents=app.signed_up&returnEvents=app.used&periods=3&to=${encodeURIComponent(week(2))}`,
    );
    expect(grid.status).toBe(200);
    expect(grid.body.cohorts[0]).toMatchObject({ start: '2026-01-05T00:00:00.000Z', retained: [2, 1, 2] });
    // A member cannot forge the platform's own events to skew them.
    const forged = await owner.post(`${base(ws)}/events`, { id: 'f', name: 'activation.account_created', data: {} });
    expect(forged.status).toBe(400);
  });

  it('answers bad or hostile parameters with a 400 naming the field', async () => {
    const path = `${base(team.workspaceId)}/analytics`;
    for (const [query, field] of [
      ['retention?source=custom', 'query.startEvents'],
      ["retention?startEvents=x';DROP TABLE events;--", 'query.startEvents'],
      ['retention?unit=year', 'query.unit'],
      ['retention?periods=1000', 'query.periods'],
      ['lifecycle?activeEvents=%00', 'query.activeEvents'],
      ['activation?milestones=first_lead_added,nope', 'query.milestones'],
      ['activation?days=0', 'query.days'],
      ['activation?source=custom&steps=app.one', 'query.steps'],
      ['revenue?months=99', 'query.months'],
      ['revenue?to=%3Cscript%3E', 'query.to'],
    ] as const) {
      const response = await team.owner.client.get(`${path}/${query}`);
      expect(response.status, query).toBe(400);
      const names = response.body.invalidParams?.map((param) => param.name) ?? [];
      expect(names.some((name) => name === field || name.startsWith(`${field}.`)), `${query}: ${names.join()}`).toBe(true);
    }
  });

  it('emits analytics.churn_risk_high once per crossing, and the template gives the owner a task', async () => {
    const registry = createNodeRegistry();
    expect(validateWorkflow(churnRiskTaskTemplate.document, registry).issues).toEqual([]);
    const owner = server.client();
    const account = await owner.signup();
    const ws = account.workspaceId;
    const created = await owner.post<Body>(`${base(ws)}/workflows`, churnRiskTaskTemplate.document);
    expect(created.status).toBe(201);
    expect((await owner.post(`${base(ws)}/workflows/${created.body.id as string}/publish`, {})).status).toBe(201);
    expect((await owner.post(`${base(ws)}/workflows/${created.body.id as string}/activate`)).status).toBe(200);

    // A quiet, old, paying workspace whose payment failed:
    // 30 (active 5–3 weeks ago, not this week) + 20 (past due) + 15 (no milestone in 40 days)
    // + 9.5 (19 of 20 seats empty) = 74.5 → 75.
    const knex = server.db.knex;
    const now = Date.now();
    const fortyDaysAgo = new Date(now - 40 * DAY);
    await knex('workspaces').where({ id: ws }).update({ created_at: fortyDaysAgo });
    await knex('memberships').where({ workspace_id: ws }).update({ created_at: fortyDaysAgo });
    await knex('workflow_versions').where({ workspace_id: ws }).update({ created_at: fortyDaysAgo });
    await knex('billing_accounts').where({ workspace_id: ws }).update({ plan_id: 'professional', status: 'past_due', seats: 20 });
    await knex('audit_log').where({ workspace_id: ws }).update({ created_at: new Date(now - 20 * DAY) });
    await knex('analytics_detector_state').where({ key: 'active_days' }).delete();
    await refresh(owner, ws);

    const list = await owner.get<{ items: Array<{ workspaceId: string; score: number; high: boolean; reasons: Array<{ text: string }> }> }>(
      `${base(ws)}/analytics/churn-risk`,
    );
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ workspaceId: ws, score: 75, high: true });
    expect(list.body.items[0]!.reasons.map((reason) => reason.text)).toEqual([
      'Activity down 100% vs its 4-week baseline (0 active user-days this week, 0.3 a week before)',
      'Payment failed: the subscription is past due',
      'No new milestone in 40 days (2 of 10 reached)',
      '19 of 20 seats unused',
    ]);
    const task = await pollTask(owner, ws);
    expect(task).toMatchObject({ title: `Churn risk 75/100: ${account.name}'s workspace`, priority: 'high', assignee: account.email });
    expect(task.description).toContain('Payment failed: the subscription is past due');

    // Still high on the next pass: no second event, no second task.
    await refresh(owner, ws);
    expect(await eventsNamed(owner, ws, 'analytics.churn_risk_high')).toHaveLength(1);
    // Healthy again, then risky again: a second crossing, a second event.
    await knex('billing_accounts').where({ workspace_id: ws }).update({ status: 'active' });
    await refresh(owner, ws);
    await knex('billing_accounts').where({ workspace_id: ws }).update({ status: 'past_due' });
    await refresh(owner, ws);
    expect((await eventsNamed(owner, ws, 'analytics.churn_risk_high')).map((event) => event.id).sort()).toEqual([
      `analytics.churn_risk_high:${ws}:1`,
      `analytics.churn_risk_high:${ws}:2`,
    ]);
  });
});

async function pollTask(
  client: ApiClient,
  workspaceId: string,
): Promise<{ title: string; description: string; priority: string; assignee?: string }> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const tasks = await client.get<{ items: Array<{ title: string; description: string; priority: string; assignee?: string }> }>(
      `/api/v1/workspaces/${workspaceId}/tasks`,
    );
    const [task] = tasks.body.items;
    if (task) return task;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no task was created');
}
