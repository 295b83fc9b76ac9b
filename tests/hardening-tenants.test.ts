import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkItemStore } from '../api/work-items/store.js';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Member, type Team, type TestApi } from './helpers/api.js';
import {
  fetchDocumentedRoutes,
  fillPath,
  rawRequest,
  type DocumentedRoute,
} from './helpers/openapi-routes.js';

/**
 * Tenant isolation, for EVERY route of the live OpenAPI document with a `{workspaceId}`
 * parameter (new routes are covered as soon as they are mounted). Workspace A (the team's)
 * holds real resources: a workflow with a published version and a run, an invitation, an API
 * key, a credential, a product event. Workspace B's owner (the outsider) then calls each route
 *   (a) with A's workspaceId and A's ids             → 404 (or 403), nothing of A in the body;
 *   (b) with B's own workspaceId and A's other ids   → 404 (or 403), nothing of A in the body.
 * Bodies are `{}`: access must be refused before, or regardless of, validation. In (b) the
 * caller really is the owner of the workspace in the path, so a validation 400 (e.g. `{}` is
 * not a workflow document) is a legitimate answer that happens before the id is looked up;
 * it is accepted there ONLY when its body carries nothing of A. (a) never accepts a 400: the
 * workspace check runs before validation (api/http/route.ts). Never a 2xx, never a 5xx.
 * (b) is not registered for routes whose only path parameter is workspaceId: with B's id they are
 * simply B's own routes, there is no A id to substitute.
 */

// Top-level await: the route list comes from the live document, before the tests are collected.
const server: TestApi = await startApi({ engine: true });
const routes: DocumentedRoute[] = (await fetchDocumentedRoutes(server.baseUrl)).filter((route) =>
  route.pathParams.includes('workspaceId'),
);

let team: Team;
/** An admin API key of workspace B: the other way B can call in. */
let bKey: string;
/** A's ids, by the path parameter they fill (see `paramValue`). */
const a: Record<string, string> = {};

const secret = {
  workspaceName: 'Alpha Tenant Private Workspace',
  workflowName: 'Alpha confidential renewal playbook',
  invitationEmail: 'alpha.invitee.secret@example.com',
  credentialName: 'Alpha prod CRM token',
  credentialToken: 'alpha-bearer-token-do-not-leak',
  apiKeyName: 'Alpha integration key',
  eventId: 'alpha-event-id-7731',
  eventName: 'alpha.secret_signup',
  leadEmail: 'alpha.lead.secret@example.com',
  suppressedEmail: 'alpha.suppressed.secret@example.com',
  feedbackText: 'Alpha private idea about the renewal playbook',
};

const document = {
  schemaVersion: 1,
  name: secret.workflowName,
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'hook', type: 'trigger.webhook', config: { path: 'alpha-tenant-hook', signed: true } },
    { id: 'tag', type: 'data.set', config: { fields: [{ name: 'tag', value: 'vip' }] } },
  ],
  edges: [
    { from: 'start', to: 'tag' },
    { from: 'hook', to: 'tag' },
  ],
};

function expectCreated(response: { status: number; text: string }, what: string): void {
  if (response.status < 200 || response.status > 299)
    throw new Error(`creating ${what} in A answered ${response.status}: ${response.text}`);
}

beforeAll(async () => {
  team = await createTeam(server);
  const owner = team.owner.client;
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  const renamed = await owner.patch(base, { name: secret.workspaceName });
  expectCreated(renamed, 'the workspace name');
  const workflow = await owner.post<{ id: string }>(`${base}/workflows`, document);
  expectCreated(workflow, 'a workflow');
  const version = await owner.post<{ id: string }>(`${base}/workflows/${workflow.body.id}/publish`, {});
  expectCreated(version, 'a version');
  const run = await owner.post<{ id: string }>(`${base}/workflows/${workflow.body.id}/runs`, {
    input: { a: 1 },
  });
  expectCreated(run, 'a run');
  const invitation = await owner.post<{ id: string }>(`${base}/invitations`, {
    email: secret.invitationEmail,
    role: 'member',
  });
  expectCreated(invitation, 'an invitation');
  const key = await owner.post<{ id: string }>(`${base}/api-keys`, {
    name: secret.apiKeyName,
    role: 'member',
  });
  expectCreated(key, 'an API key');
  const credential = await owner.post<{ id: string }>(`${base}/credentials`, {
    name: secret.credentialName,
    type: 'bearer',
    data: { token: secret.credentialToken },
  });
  expectCreated(credential, 'a credential');
  const event = await owner.post(`${base}/events`, { id: secret.eventId, name: secret.eventName, data: {} });
  expectCreated(event, 'an event');
  // An approval waiting in A (flow.approval): the approvals routes look it up by id.
  const asking = await owner.post<{ id: string }>(`${base}/workflows`, {
    schemaVersion: 1,
    name: secret.workflowName,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'ask', type: 'flow.approval', config: { title: secret.workflowName } },
    ],
    edges: [{ from: 'start', to: 'ask' }],
  });
  expectCreated(asking, 'an approval workflow');
  expectCreated(await owner.post(`${base}/workflows/${asking.body.id}/publish`, {}), 'its version');
  expectCreated(await owner.post(`${base}/workflows/${asking.body.id}/runs`, { input: {} }), 'its run');
  for (let attempt = 0; attempt < 100 && !a.approvalId; attempt++) {
    const pending = await owner.get<{ items: Array<{ id: string }> }>(`${base}/approvals`);
    if (pending.body.items[0]) a.approvalId = pending.body.items[0].id;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A task and a ticket in A, as a run's tasks.create / tickets.create write them.
  const workItems = new WorkItemStore(server.db.knex);
  for (const kind of ['task', 'ticket'] as const) {
    const { item } = await workItems.create(
      kind,
      team.workspaceId,
      { title: secret.workflowName, description: '', priority: 'normal', data: {} },
      { key: `tenants:${kind}`, runId: crypto.randomUUID() },
    );
    a[`${kind}Id`] = item.id;
  }
  // The product features' resources: a lead, a suppression (outbound and safety), an NPS
  // survey shown to the owner, a feedback post and a notification about it. The post is a
  // problem report: ideas are the instance-wide public board by design (issue 16), a problem
  // is seen only by its author and the instance admins.
  const lead = await owner.post<{ lead: { id: string } }>(`${base}/outbound/leads`, {
    email: secret.leadEmail,
    firstName: 'Alpha',
  });
  expectCreated(lead, 'a lead');
  a.leadId = lead.body.lead.id;
  expectCreated(
    await owner.post(`${base}/outbound/suppressions`, { email: secret.suppressedEmail }),
    'an outbound suppression',
  );
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
  expectCreated(
    await owner.post(`${base}/safety/suppressions`, { email: secret.suppressedEmail }),
    'a safety suppression',
  );
  a.email = secret.suppressedEmail;
  // A knowledge document of A (Knowledge Fusion is on the enterprise plan just set).
  const knowledgeDoc = await owner.post<{ id: string }>(`${base}/knowledge/documents`, {
    kind: 'battle_card',
    title: secret.workflowName,
    sections: [{ heading: 'Notes', body: secret.workflowName }],
  });
  expectCreated(knowledgeDoc, 'a knowledge document');
  a.documentId = knowledgeDoc.body.id;
  await server.db
    .knex('users')
    .where({ id: team.owner.account.userId })
    .update({ created_at: new Date(Date.now() - 30 * 24 * 3600 * 1000) });
  const display = await owner.post<{ displayId: string }>(`${base}/nps/displays`, {});
  expectCreated(display, 'an NPS display');
  a.displayId = display.body.displayId;
  const post = await owner.post<{ id: string }>(`${base}/feedback`, {
    kind: 'problem',
    text: secret.feedbackText,
  });
  expectCreated(post, 'a feedback problem');
  a.postId = post.body.id;
  const notification = await server.db.knex('feedback_notifications').insert(
    {
      user_id: team.owner.account.userId,
      workspace_id: team.workspaceId,
      post_id: post.body.id,
      kind: 'status',
      title: secret.feedbackText,
      body: secret.feedbackText,
    },
    ['id'],
  );
  a.notificationId = (notification[0] as { id: string }).id;
  // Voice: a call and one of its extracted items ({callId}, {itemId}).
  const voiceCall = await owner.post<{ id: string; items: Array<{ id: string }> }>(`${base}/calls`, {
    title: secret.workflowName,
    transcript: 'Alpha: I will send the renewal playbook tomorrow.',
  });
  expectCreated(voiceCall, 'a call');
  a.callId = voiceCall.body.id;
  a.itemId = voiceCall.body.items[0]!.id;
  const bKeyResponse = await team.outsider.client.post<{ key: string }>(
    `/api/v1/workspaces/${team.outsider.account.workspaceId}/api-keys`,
    { name: 'B admin key', role: 'admin' },
  );
  expectCreated(bKeyResponse, "B's API key");
  bKey = bKeyResponse.body.key;
  // Sanity: the key works in B, so a refusal in A is about the tenant, not a broken key.
  const inB = await server
    .keyClient(bKey)
    .get(`/api/v1/workspaces/${team.outsider.account.workspaceId}/workflows`);
  if (inB.status !== 200) throw new Error(`B's key in B answered ${inB.status}: ${inB.text}`);
  Object.assign(a, {
    workspaceId: team.workspaceId,
    workflowId: workflow.body.id,
    versionId: version.body.id,
    campaignId: workflow.body.id,
    runId: run.body.id,
    invitationId: invitation.body.id,
    keyId: key.body.id,
    credentialId: credential.body.id,
    userId: team.member.account.userId,
    nodeId: 'hook',
  });
});

afterAll(async () => {
  await server.close();
});

/** A's value for a path parameter; `{id}` is named by the collection before it. */
function paramValue(param: string, path: string): string {
  let key = param;
  if (param === 'id') {
    const collection = /\/([a-z-]+)\/\{id\}/.exec(path)?.[1];
    key =
      ({ workflows: 'workflowId', credentials: 'credentialId' } as Record<string, string>)[
        collection ?? ''
      ] ?? '';
  }
  const value = a[key];
  if (!value) throw new Error(`no resource of workspace A for {${param}} in ${path}: add one to this suite`);
  return value;
}

function leakedStrings(text: string): string[] {
  const identifying = [
    ...Object.values(secret),
    team.owner.account.email,
    team.member.account.email,
    team.admin.account.email,
    team.owner.account.name,
  ];
  return identifying.filter((value) => text.includes(value));
}

/** Call as a member (session cookie) or with an API key (`Bearer`); `body` defaults to `{}`. */
function call(who: Member | { apiKey: string }, route: DocumentedRoute, path: string, body: unknown = {}) {
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  const auth: Record<string, string> =
    'apiKey' in who
      ? { authorization: `Bearer ${who.apiKey}` }
      : { cookie: `revflow_session=${who.client.sessionCookie ?? ''}`, 'x-revflow-csrf': '1' };
  return rawRequest(`${server.baseUrl}${path}`, {
    method: route.method,
    headers: {
      accept: 'application/json',
      ...auth,
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    ...(hasBody ? { body: JSON.stringify(body) } : {}),
  });
}

/**
 * Valid bodies for the routes whose `{}` fails validation before the id lookup: with these,
 * case (b) really reaches the lookup of A's id from B's workspace.
 */
const validBodies: Record<string, unknown> = {
  'PATCH /api/v1/workspaces/{workspaceId}/members/{userId}': { role: 'admin' },
  'PUT /api/v1/workspaces/{workspaceId}/workflows/{id}': { ...document, name: 'Overwritten by B' },
  'PUT /api/v1/workspaces/{workspaceId}/credentials/{id}': { name: 'Renamed by B' },
  'POST /api/v1/workspaces/{workspaceId}/workflows/{id}/activate': {},
  'POST /api/v1/workspaces/{workspaceId}/workflows/{id}/runs': { input: {} },
  'PATCH /api/v1/workspaces/{workspaceId}/tasks/{taskId}': { status: 'done' },
  'PATCH /api/v1/workspaces/{workspaceId}/tickets/{ticketId}': { status: 'closed' },
  'PATCH /api/v1/workspaces/{workspaceId}/outbound/campaigns/{campaignId}': { status: 'paused' },
  'POST /api/v1/workspaces/{workspaceId}/outbound/campaigns/{campaignId}/enroll': { leadIds: [] },
  'POST /api/v1/workspaces/{workspaceId}/feedback/posts/{postId}/comments': { body: 'B was here' },
  'POST /api/v1/workspaces/{workspaceId}/nps/displays/{displayId}/response': { score: 0 },
};

const label = (route: DocumentedRoute) => `${route.method} ${route.path}`;

describe('the route list', () => {
  it('comes from the live document and covers the workspace routes', () => {
    // A floor, so a broken document (or filter) cannot turn this suite into a silent no-op.
    expect(routes.length).toBeGreaterThanOrEqual(40);
    for (const route of routes)
      for (const param of route.pathParams) expect(() => paramValue(param, route.path)).not.toThrow();
  });
});

describe.each(routes.map((route) => [label(route), route] as const))('%s', (_name, route) => {
  it("refuses workspace B's owner in workspace A, leaking nothing", async () => {
    const response = await call(team.outsider, route, fillPath(route.path, paramValue));
    expect([403, 404], `${response.status}: ${response.text}`).toContain(response.status);
    expect(response.contentType).toContain('application/problem+json');
    expect(leakedStrings(response.text)).toEqual([]);
  });

  it("refuses workspace B's API key in workspace A, leaking nothing", async () => {
    const response = await call({ apiKey: bKey }, route, fillPath(route.path, paramValue));
    expect([403, 404], `${response.status}: ${response.text}`).toContain(response.status);
    expect(response.contentType).toContain('application/problem+json');
    expect(leakedStrings(response.text)).toEqual([]);
  });

  // Only routes with ids besides the workspace's have anything of A to look up from B.
  if (route.pathParams.length === 1) return;
  it("finds none of A's resources from workspace B (B's id, A's other ids), leaking nothing", async () => {
    const path = fillPath(route.path, (param, template) =>
      param === 'workspaceId' ? team.outsider.account.workspaceId : paramValue(param, template),
    );
    const response = await call(team.outsider, route, path);
    // 400 only here, and only as a validation problem that says nothing of A (see the top);
    // 402 likewise: B's own plan gates the feature before any lookup (the Safety Console).
    expect([400, 402, 403, 404], `${response.status}: ${response.text}`).toContain(response.status);
    expect(response.contentType).toContain('application/problem+json');
    expect(leakedStrings(response.text)).toEqual([]);
    if (response.status === 400) {
      // Validation came first: send a valid body so the lookup of A's id is exercised too.
      const body = validBodies[label(route)];
      expect(body, `a 400 for {} from ${label(route)}: add a valid body to validBodies`).toBeDefined();
      const valid = await call(team.outsider, route, path, body);
      expect([403, 404], `${valid.status}: ${valid.text}`).toContain(valid.status);
      expect(leakedStrings(valid.text)).toEqual([]);
    }
  });
});

describe("A's resources after all of it", () => {
  it('are all still there and unchanged for A', async () => {
    const owner = team.owner.client;
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    const workflow = await owner.get<{ name: string }>(`${base}/workflows/${a.workflowId}`);
    expect(workflow.status).toBe(200);
    expect(workflow.body.name).toBe(secret.workflowName);
    expect((await owner.get(`${base}/runs/${a.runId}`)).status).toBe(200);
    expect((await owner.get(`${base}/credentials/${a.credentialId}`)).status).toBe(200);
    const keys = await owner.get<{ items: Array<{ id: string; revokedAt?: string | null }> }>(
      `${base}/api-keys`,
    );
    expect(keys.body.items.find((key) => key.id === a.keyId)?.revokedAt ?? null).toBeNull();
    const invitations = await owner.get<{ items: Array<{ id: string; status: string }> }>(
      `${base}/invitations`,
    );
    expect(invitations.body.items.find((invitation) => invitation.id === a.invitationId)?.status).toBe(
      'pending',
    );
    const members = await owner.get<{ items: Array<{ userId: string; role: string }> }>(`${base}/members`);
    expect(members.status).toBe(200);
    const member = (members.body as unknown as { items: Array<Record<string, unknown>> }).items.find((item) =>
      Object.values(item).includes(a.userId),
    );
    expect(member?.role).toBe('member');
  });
});
