import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Member, type Team, type TestApi } from './helpers/api.js';

/**
 * Every workflow, run and webhook-admin route, checked the same way: no session → 401, a role
 * below the route's → 403, another workspace → 404 with nothing of this workspace in the body,
 * a malformed id → 400 naming the parameter.
 */

let server: TestApi;
let team: Team;
let ids: { workflowId: string; versionId: string; runId: string };

const secretName = 'Confidential renewal playbook';
const document = {
  schemaVersion: 1,
  name: secretName,
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'hook', type: 'trigger.webhook', config: { path: 'access-check', signed: true } },
    { id: 'tag', type: 'data.set', config: { fields: [{ name: 'tag', value: 'vip' }] } },
  ],
  edges: [
    { from: 'start', to: 'tag' },
    { from: 'hook', to: 'tag' },
  ],
};

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  const created = await team.member.client.post<{ id: string }>(`${base}/workflows`, document);
  const version = await team.member.client.post<{ id: string }>(
    `${base}/workflows/${created.body.id}/publish`,
    {},
  );
  const run = await team.member.client.post<{ id: string }>(`${base}/workflows/${created.body.id}/runs`, {
    input: { a: 1 },
  });
  ids = { workflowId: created.body.id, versionId: version.body.id, runId: run.body.id };
});
afterAll(async () => {
  await server?.close();
});

type Role = 'viewer' | 'member' | 'admin';
interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: (workspaceId: string) => string;
  role: Role;
  body?: unknown;
  /** The path with one id replaced by garbage, and the parameter that names. */
  malformed?: { path: (workspaceId: string) => string; param: string };
}

const ws = (workspaceId: string) => `/api/v1/workspaces/${workspaceId}`;
const wf = (workspaceId: string) => `${ws(workspaceId)}/workflows/${ids.workflowId}`;
const run = (workspaceId: string) => `${ws(workspaceId)}/runs/${ids.runId}`;
const badWorkflow = { path: (w: string) => `${ws(w)}/workflows/not-a-uuid`, param: 'params.id' };
const badRun = { path: (w: string) => `${ws(w)}/runs/not-a-uuid`, param: 'params.runId' };

const cases: Array<[string, RouteCase]> = [
  ['list workflows', { method: 'GET', path: (w) => `${ws(w)}/workflows`, role: 'viewer' }],
  [
    'create a workflow',
    { method: 'POST', path: (w) => `${ws(w)}/workflows`, role: 'member', body: document },
  ],
  [
    'import a workflow',
    { method: 'POST', path: (w) => `${ws(w)}/workflows/import`, role: 'member', body: document },
  ],
  ['read a workflow', { method: 'GET', path: wf, role: 'viewer', malformed: badWorkflow }],
  [
    'save a draft',
    { method: 'PUT', path: wf, role: 'member', body: document, malformed: { ...badWorkflow } },
  ],
  ['publish', { method: 'POST', path: (w) => `${wf(w)}/publish`, role: 'member', body: {} }],
  ['list versions', { method: 'GET', path: (w) => `${wf(w)}/versions`, role: 'viewer' }],
  ['read a version', { method: 'GET', path: (w) => `${wf(w)}/versions/${ids.versionId}`, role: 'viewer' }],
  ['activate', { method: 'POST', path: (w) => `${wf(w)}/activate`, role: 'member', body: {} }],
  ['deactivate', { method: 'POST', path: (w) => `${wf(w)}/deactivate`, role: 'member' }],
  ['export', { method: 'GET', path: (w) => `${wf(w)}/export`, role: 'viewer' }],
  ['read webhook secrets', { method: 'GET', path: (w) => `${wf(w)}/webhooks`, role: 'admin' }],
  [
    'rotate a webhook secret',
    { method: 'POST', path: (w) => `${wf(w)}/webhooks/hook/rotate-secret`, role: 'admin' },
  ],
  ['start a run', { method: 'POST', path: (w) => `${wf(w)}/runs`, role: 'member', body: { input: {} } }],
  ['list runs', { method: 'GET', path: (w) => `${ws(w)}/runs`, role: 'viewer' }],
  ['read a run', { method: 'GET', path: run, role: 'viewer', malformed: badRun }],
  ['cancel a run', { method: 'POST', path: (w) => `${run(w)}/cancel`, role: 'member' }],
  ['retry a run', { method: 'POST', path: (w) => `${run(w)}/retry`, role: 'member' }],
  ['delete a workflow', { method: 'DELETE', path: wf, role: 'member', malformed: badWorkflow }],
];

const below: Record<Role, keyof Pick<Team, 'viewer' | 'member'> | undefined> = {
  viewer: undefined,
  member: 'viewer',
  admin: 'member',
};

function call(member: Member | undefined, route: RouteCase, path: string) {
  const client = member?.client ?? server.client();
  return client.request(route.method, path, route.body);
}

describe.each(cases)('%s', (_name, route) => {
  it('answers 401 without a session', async () => {
    const response = await call(undefined, route, route.path(team.workspaceId));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it("answers 404 to another workspace's member, leaking nothing", async () => {
    const intoTeam = await call(team.outsider, route, route.path(team.workspaceId));
    expect(intoTeam.status).toBe(404);
    expect(intoTeam.text).not.toContain(secretName);
    // The outsider's own workspace with this workspace's ids finds nothing either.
    if (
      route.path(team.workspaceId).includes(ids.workflowId) ||
      route.path(team.workspaceId).includes(ids.runId)
    ) {
      const crossed = await call(team.outsider, route, route.path(team.outsider.account.workspaceId));
      expect(crossed.status).toBe(404);
      expect(crossed.text).not.toContain(secretName);
    }
  });
});

describe.each(cases.filter(([, route]) => below[route.role] !== undefined))(
  '%s, below its role',
  (_name, route) => {
    it('answers 403 naming the role it needs', async () => {
      const response = await call(team[below[route.role]!], route, route.path(team.workspaceId));
      expect(response.status).toBe(403);
      expect(response.body.detail).toContain(route.role);
    });
  },
);

describe.each(cases.filter(([, route]) => route.malformed !== undefined))(
  '%s, with a malformed id',
  (_name, route) => {
    it('answers 400 naming the parameter', async () => {
      const response = await call(team.admin, route, route.malformed!.path(team.workspaceId));
      expect(response.status).toBe(400);
      expect(response.body.invalidParams?.map((p: { name: string }) => p.name)).toContain(
        route.malformed!.param,
      );
    });
  },
);
