import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type ApiClient, type Team, type TestApi } from './helpers/api.js';

/**
 * Attacks on growth analytics and the Salesboard (issue 15): another workspace's figures,
 * instance-wide figures without being an instance admin, parameters out of range, and hostile
 * events posted through the events API that then feed the custom-source queries. Every one is a
 * clear 4xx naming the field, never a 500.
 */
const ROUTES = ['activation', 'retention', 'lifecycle', 'revenue', 'churn-risk'] as const;
type Body = Record<string, unknown>;

describe('analytics under attack', () => {
  let server: TestApi;
  let team: Team;
  let other: { client: ApiClient; workspaceId: string };

  beforeAll(async () => {
    server = await startApi({ engine: true });
    team = await createTeam(server);
    const client = server.client();
    const account = await client.signup();
    other = { client, workspaceId: account.workspaceId };
  });
  afterAll(async () => {
    await server?.close();
  });

  const base = (workspaceId: string) => `/api/v1/workspaces/${workspaceId}`;
  const fields = (body: unknown): string[] =>
    ((body as { invalidParams?: Array<{ name: string }> } | null)?.invalidParams ?? []).map((param) => param.name);

  it("keeps the owner of workspace A out of workspace B's analytics and Salesboard", async () => {
    // team.owner owns A; `other` owns B. Each asks for the other's figures with the real id.
    for (const route of ROUTES) {
      const response = await team.owner.client.get(`${base(other.workspaceId)}/analytics/${route}`);
      expect(response.status, route).toBe(404);
      // A problem, nothing of B's figures.
      expect(Object.keys(response.body ?? {}).sort(), route).toEqual(['detail', 'instance', 'status', 'title', 'type']);
    }
    expect((await team.owner.client.post(`${base(other.workspaceId)}/analytics/refresh`, {})).status).toBe(404);
    expect((await team.owner.client.get(`${base(other.workspaceId)}/salesboard`)).status).toBe(404);
    // And B's owner asking for A: the same.
    expect((await other.client.get(`${base(team.workspaceId)}/analytics/activation`)).status).toBe(404);
  });

  it('keeps instance-wide analytics to instance admins: owners, admins, members and viewers get a 403', async () => {
    for (const [role, member] of Object.entries({ owner: team.owner, admin: team.admin, member: team.member, viewer: team.viewer })) {
      for (const route of ROUTES) {
        expect((await member.client.get(`/api/v1/admin/analytics/${route}`)).status, `${role} ${route}`).toBe(403);
      }
      expect((await member.client.post('/api/v1/admin/analytics/refresh', {})).status, role).toBe(403);
    }
    expect((await server.client().get('/api/v1/admin/analytics/churn-risk')).status).toBe(401);
  });

  it('answers parameters out of range with a 400 naming the field', async () => {
    const many = Array.from({ length: 50 }, (_, index) => `app.e${index}`).join(',');
    const cases: Array<[string, string]> = [
      ['activation?days=1e9', 'query.days'],
      ['activation?days=NaN', 'query.days'],
      ['activation?days=-3', 'query.days'],
      ['activation?days=Infinity', 'query.days'],
      ['activation?days=1.5', 'query.days'],
      ['activation?unit=day', 'query.unit'],
      ['retention?periods=1e9', 'query.periods'],
      ['retention?periods=NaN', 'query.periods'],
      ['retention?periods=-1', 'query.periods'],
      ['retention?periods=25', 'query.periods'],
      ['retention?mode=sometimes', 'query.mode'],
      ['retention?to=9999-99-99', 'query.to'],
      ['retention?to=%2B275760-09-13T00:00:00Z', 'query.to'],
      [`retention?source=custom&startEvents=${many}&returnEvents=app.used`, 'query.startEvents'],
      ['retention?source=custom&startEvents=app.a&returnEvents=%F0%9F%92%A3', 'query.returnEvents'],
      ['retention?level=galaxy', 'query.level'],
      ['lifecycle?periods=1000000', 'query.periods'],
      ['lifecycle?periods=0', 'query.periods'],
      ['lifecycle?source=custom', 'query.activeEvents'],
      ['revenue?months=NaN', 'query.months'],
      ['revenue?months=-12', 'query.months'],
      ['revenue?months=1e9', 'query.months'],
      ['revenue?to=0000-00-00', 'query.to'],
      [`activation?milestones=${Array.from({ length: 50 }, () => 'first_lead_added').join(',')}`, 'query.milestones'],
    ];
    for (const [query, field] of cases) {
      const response = await team.owner.client.get(`${base(team.workspaceId)}/analytics/${query}`);
      expect(response.status, query.slice(0, 80)).toBe(400);
      expect(
        fields(response.body).some((name) => name === field || name.startsWith(`${field}.`)),
        `${query.slice(0, 80)}: ${fields(response.body).join()}`,
      ).toBe(true);
    }
    for (const [query, field] of [
      ['salesboard?days=1e9', 'query.days'],
      ['salesboard?days=NaN', 'query.days'],
      ['salesboard?days=-7', 'query.days'],
      ['salesboard?to=%2B275760-09-13T00:00:00Z', 'query.to'],
    ] as const) {
      const response = await team.owner.client.get(`${base(team.workspaceId)}/${query}`);
      expect(response.status, query).toBe(400);
      expect(fields(response.body), query).toContain(field);
    }
  });

  it('refuses hostile events through the events API with a 4xx, and the analytics over them still answer', async () => {
    const post = (body: unknown, rawBody?: string) =>
      team.member.client.post<Body>(`${base(team.workspaceId)}/events`, body, rawBody ? { rawBody } : {});
    let deep = '{"v":1}';
    for (let i = 0; i < 10_000; i += 1) deep = `{"a":${deep}}`;
    const hostile: Array<[string, ReturnType<typeof post>]> = [
      ['NUL in the name', post({ id: 'h1', name: 'app.\u0000used', data: {} })],
      ['a lone surrogate in the name', post({ id: 'h2', name: 'app.\ud800', data: {} })],
      ['SQL in the name', post({ id: 'h3', name: "app.used');DROP TABLE events;--", data: {} })],
      ['a reserved platform name', post({ id: 'h4', name: 'session.login', data: { userId: 'x' } })],
      ['a backdated analytics event', post({ id: 'h5', name: 'analytics.churn_risk_high', data: { occurredAt: '2001-01-01T00:00:00Z' } })],
      ['NUL in the data', post(undefined, '{"id":"h6","name":"app.used","data":{"userId":"a\\u0000b"}}')],
      ['a lone surrogate in the data', post(undefined, '{"id":"h7","name":"app.used","data":{"subject":"\\ud800"}}')],
      ['10,000-deep data', post(undefined, `{"id":"h8","name":"app.used","data":${deep}}`)],
    ];
    for (const [what, pending] of hostile) {
      const response = await pending;
      expect(response.status, `${what}: ${response.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, what).toBeLessThan(500);
    }
    // Odd but valid events are stored as data and counted as text, never run as SQL or markup.
    for (const [id, data] of [
      ['ok1', { subject: "<script>alert(1)</script>'; DROP TABLE events;--" }],
      ['ok2', { userId: { nested: ['object'] }, accountId: 12 }],
      ['ok3', { subject: 'x'.repeat(5000) }],
    ] as const) {
      const response = await post({ id, name: 'app.signed_up', data, occurredAt: '2026-03-02T09:00:00Z' });
      expect(response.status, id).toBe(202);
    }
    const grid = await team.owner.client.get<{ cohorts: Array<{ start: string; size: number }> }>(
      `${base(team.workspaceId)}/analytics/retention?source=custom&startEvents=app.signed_up&returnEvents=app.used&periods=2&to=2026-03-09`,
    );
    expect(grid.status).toBe(200);
    expect(grid.body.cohorts[0]).toMatchObject({ start: '2026-03-02T00:00:00.000Z', size: 3 });
    for (const route of [
      'lifecycle?source=custom&activeEvents=app.signed_up&to=2026-03-09',
      'activation?source=custom&steps=app.signed_up,app.used',
      'retention?source=custom&level=account&startEvents=app.signed_up&returnEvents=app.used&to=2026-03-09',
    ]) {
      const response = await team.owner.client.get(`${base(team.workspaceId)}/analytics/${route}`);
      expect(response.status, route).toBe(200);
      expect(response.text, route).not.toContain('<script>alert(1)</script>');
    }
  });
});
