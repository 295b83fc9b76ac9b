import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;
let base: string;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
});

const document = {
  schemaVersion: 1,
  name: 'Lead intake',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'hook', type: 'trigger.webhook', config: { path: 'quota-intake', responseMode: 'respondNode' } },
    { id: 'tag', type: 'data.set', config: { fields: [{ name: 'tagged', value: true }] } },
  ],
  edges: [
    { from: 'start', to: 'tag' },
    { from: 'hook', to: 'tag' },
  ],
  settings: {},
};

describe('the workflow-runs quota', () => {
  it('refuses the 1,001st run of the month on Free with the limit and the plan, starting nothing', async () => {
    const created = await team.member.client.post<Body>(`${base}/workflows`, document);
    expect(created.status).toBe(201);
    const workflowId = created.body.id as string;
    const published = await team.member.client.post<Body>(`${base}/workflows/${workflowId}/publish`, {});
    expect(published.status).toBe(201);
    expect((await team.member.client.post<Body>(`${base}/workflows/${workflowId}/activate`)).status).toBe(
      200,
    );
    await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'free' });

    // 999 runs already this month: the workspace may start exactly one more.
    const versionId = published.body.id as string;
    await server.db.knex.batchInsert(
      'runs',
      Array.from({ length: 999 }, () => ({
        id: randomUUID(),
        workspace_id: team.workspaceId,
        workflow_id: workflowId,
        version_id: versionId,
        status: 'succeeded',
        trigger_node_id: 'start',
        input: '{}',
        created_at: new Date(),
      })),
      500,
    );

    const last = await team.member.client.post<Body>(`${base}/workflows/${workflowId}/runs`, { input: {} });
    expect(last.status).toBe(202);

    const refused = await team.member.client.post<Body>(`${base}/workflows/${workflowId}/runs`, {
      input: {},
    });
    expect(refused.status).toBe(402);
    expect(refused.body.detail).toBe(
      'Free plan allows 1,000 workflow runs per month; upgrade to Starter for 10,000',
    );
    expect(refused.body).toMatchObject({
      meter: 'workflow_runs',
      plan: 'free',
      limit: 1000,
      upgradeTo: 'starter',
    });

    // Webhooks are refused the same way, before anything is stored.
    const hook = await fetch(`${server.baseUrl}/hooks/${team.workspaceId}/quota-intake`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(hook.status).toBe(402);
    expect(hook.headers.get('content-type')).toContain('application/problem+json');

    const counted = await server.db
      .knex('runs')
      .where({ workspace_id: team.workspaceId })
      .count<Array<{ count: string }>>('* as count');
    expect(Number(counted[0]?.count)).toBe(1000);
  });
});
