import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

/**
 * Issue 11 item 5: a node does what a route restricts only for whom the route allows it.
 * billing.changePlan / changeSeats / checkoutLink are owner-only like POST billing/change and
 * billing/checkout: publish refuses a member (403 naming the node), a run checks the role of
 * whoever published the running version now, and a change writes the route's audit entry.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

let server: TestApi;

beforeAll(async () => {
  delete process.env.STRIPE_SECRET_KEY;
  server = await startApi({ engine: true });
}, 90_000);

afterAll(async () => {
  await server?.close();
});

const changePlanDocument = (config: Record<string, unknown>, type = 'billing.changePlan') => ({
  schemaVersion: 1,
  name: `Node roles: ${type}`,
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'upgrade', type, config, retry: { maxAttempts: 1 } },
  ],
  edges: [{ from: 'start', to: 'upgrade' }],
});

async function draft(team: Team, document: unknown): Promise<string> {
  const created = await team.member.client.post<Body>(
    `/api/v1/workspaces/${team.workspaceId}/workflows`,
    document,
  );
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function runToEnd(team: Team, workflowId: string): Promise<Body> {
  const ws = `/api/v1/workspaces/${team.workspaceId}`;
  const started = await team.member.client.post<Body>(`${ws}/workflows/${workflowId}/runs`, { input: {} });
  expect(started.status).toBe(202);
  const until = Date.now() + 15_000;
  for (;;) {
    const run = await team.member.client.get<Body>(`${ws}/runs/${started.body.id}`);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status) || Date.now() > until)
      return run.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function planOf(team: Team): Promise<{ planId: string; seats: number }> {
  const row = await server.db
    .knex('billing_accounts')
    .where({ workspace_id: team.workspaceId })
    .first<{ plan_id: string; seats: number } | undefined>('plan_id', 'seats');
  return { planId: row?.plan_id ?? 'none', seats: row?.seats ?? 0 };
}

async function billingAudit(team: Team): Promise<Body[]> {
  const page = await team.owner.client.get<Body>(
    `/api/v1/workspaces/${team.workspaceId}/audit-log?action=billing.change&limit=50`,
  );
  expect(page.status).toBe(200);
  return page.body.items as Body[];
}

describe('nodes that do an owner’s job', () => {
  it('refuses a member publishing billing.changePlan with a 403 naming the node, and changes nothing', async () => {
    const team = await createTeam(server);
    const before = await planOf(team);
    const id = await draft(team, changePlanDocument({ planId: 'enterprise', seats: 100 }));
    const refused = await team.member.client.post<Body>(
      `/api/v1/workspaces/${team.workspaceId}/workflows/${id}/publish`,
      {},
    );
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      nodeId: 'upgrade',
      nodeType: 'billing.changePlan',
      requiredRole: 'owner',
    });
    expect(refused.body.detail).toMatch(/"upgrade" \(billing\.changePlan\) needs a workspace owner/);
    // An admin is not an owner either; nothing was published, so nothing can run.
    const byAdmin = await team.admin.client.post<Body>(
      `/api/v1/workspaces/${team.workspaceId}/workflows/${id}/publish`,
      {},
    );
    expect(byAdmin.status).toBe(403);
    const run = await team.member.client.post<Body>(
      `/api/v1/workspaces/${team.workspaceId}/workflows/${id}/runs`,
      {
        input: {},
      },
    );
    expect(run.status).toBe(409);
    expect(await planOf(team)).toEqual(before);
    expect(await billingAudit(team)).toEqual([]);
  });

  it('refuses billing.changeSeats and billing.checkoutLink from a member the same way', async () => {
    const team = await createTeam(server);
    for (const [type, config] of [
      ['billing.changeSeats', { seats: 40 }],
      ['billing.checkoutLink', { planId: 'enterprise' }],
    ] as const) {
      const id = await draft(team, changePlanDocument(config, type));
      const refused = await team.member.client.post<Body>(
        `/api/v1/workspaces/${team.workspaceId}/workflows/${id}/publish`,
        {},
      );
      expect(refused.status).toBe(403);
      expect(refused.body.nodeType).toBe(type);
    }
  });

  it('runs an owner-published change for a member who starts it, with the route’s audit entry naming the owner', async () => {
    const team = await createTeam(server);
    const id = await draft(team, changePlanDocument({ planId: 'enterprise', seats: 100 }));
    const published = await team.owner.client.post<Body>(
      `/api/v1/workspaces/${team.workspaceId}/workflows/${id}/publish`,
      {},
    );
    expect(published.status).toBe(201);
    const run = await runToEnd(team, id);
    expect(run.status).toBe('succeeded');
    expect(await planOf(team)).toEqual({ planId: 'enterprise', seats: 100 });
    const [entry] = await billingAudit(team);
    expect(entry).toMatchObject({
      action: 'billing.change',
      actor: { type: 'user', id: team.owner.account.userId },
      metadata: {
        mode: 'local',
        from: { planId: 'professional' },
        to: { planId: 'enterprise', seats: 100 },
        via: { runId: run.id, nodeId: 'upgrade' },
      },
    });
  });

  it('stops a version from changing the plan once its publisher is no longer an owner', async () => {
    const team = await createTeam(server);
    const ws = `/api/v1/workspaces/${team.workspaceId}`;
    // The admin becomes a second owner and publishes; then the first owner demotes them.
    expect(
      (await team.owner.client.patch(`${ws}/members/${team.admin.account.userId}`, { role: 'owner' })).status,
    ).toBe(200);
    const id = await draft(team, changePlanDocument({ planId: 'starter' }));
    expect((await team.admin.client.post<Body>(`${ws}/workflows/${id}/publish`, {})).status).toBe(201);
    expect(
      (await team.owner.client.patch(`${ws}/members/${team.admin.account.userId}`, { role: 'admin' })).status,
    ).toBe(200);
    const before = await planOf(team);
    const run = await runToEnd(team, id);
    expect(run.status).toBe('failed');
    const step = run.steps.find((candidate: Body) => candidate.nodeId === 'upgrade');
    expect(step.error).toMatchObject({
      code: 'node_role',
      message: expect.stringMatching(
        /needs a workspace owner: whoever published this version is a admin now/,
      ),
    });
    expect(await planOf(team)).toEqual(before);
    expect(await billingAudit(team)).toEqual([]);

    // Promoted again, the same version works: the role is read at run time, not frozen.
    expect(
      (await team.owner.client.patch(`${ws}/members/${team.admin.account.userId}`, { role: 'owner' })).status,
    ).toBe(200);
    expect((await runToEnd(team, id)).status).toBe('succeeded');
    expect((await planOf(team)).planId).toBe('starter');
  });

  it('stops a version whose publisher left the workspace', async () => {
    const team = await createTeam(server);
    const ws = `/api/v1/workspaces/${team.workspaceId}`;
    expect(
      (await team.owner.client.patch(`${ws}/members/${team.admin.account.userId}`, { role: 'owner' })).status,
    ).toBe(200);
    const id = await draft(team, changePlanDocument({ planId: 'starter' }));
    expect((await team.admin.client.post<Body>(`${ws}/workflows/${id}/publish`, {})).status).toBe(201);
    await server.db
      .knex('memberships')
      .where({ workspace_id: team.workspaceId, user_id: team.admin.account.userId })
      .delete();
    const run = await runToEnd(team, id);
    expect(run.status).toBe('failed');
    expect(run.steps.find((candidate: Body) => candidate.nodeId === 'upgrade').error.message).toMatch(
      /no longer a member/,
    );
  });

  it('lets an admin API key publish nothing an owner must, and a member key nothing at all of it', async () => {
    const team = await createTeam(server);
    const ws = `/api/v1/workspaces/${team.workspaceId}`;
    const key = await team.owner.client.post<Body>(`${ws}/api-keys`, { name: 'Deploy bot', role: 'admin' });
    expect(key.status).toBe(201);
    const bot = server.keyClient(key.body.key as string);
    const id = await draft(team, changePlanDocument({ planId: 'enterprise' }));
    const refused = await bot.post<Body>(`${ws}/workflows/${id}/publish`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.requiredRole).toBe('owner');
  });
});
