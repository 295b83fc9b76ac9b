/**
 * Hostile text and absurd nesting in every kind of request body (issue 11, item 11): NUL,
 * lone surrogates and JSON nested 10,000 deep answered 500 from a dozen routes. One guard after
 * JSON parsing (api/http/input-guard.ts) now answers 400 naming the field, for bodies, query
 * strings and path parameters alike, and the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type ProblemBody, type Team, type TestApi } from './helpers/api.js';

let server: TestApi;
let team: Team;
let base: string;
let workflowId: string;
let approvalId: string;

const DEEP = 10_000;
const deepArray = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
const deepRule = `${'{"!":['.repeat(DEEP)}true${']}'.repeat(DEEP)}`;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  const owner = team.owner.client;
  const workflow = await owner.post<{ id: string }>(`${base}/workflows`, {
    schemaVersion: 1,
    name: 'Needs approval',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'ask', type: 'flow.approval', config: { title: 'Ship it?' } },
    ],
    edges: [{ from: 'start', to: 'ask' }],
  });
  expect(workflow.status, workflow.text).toBe(201);
  workflowId = workflow.body.id;
  expect((await owner.post(`${base}/workflows/${workflowId}/publish`, {})).status).toBe(201);
  expect((await owner.post(`${base}/workflows/${workflowId}/runs`, { input: {} })).status).toBe(202);
  for (let attempt = 0; attempt < 200 && !approvalId; attempt++) {
    const pending = await owner.get<{ items: Array<{ id: string }> }>(`${base}/approvals`);
    if (pending.body.items[0]) approvalId = pending.body.items[0].id;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(approvalId).toBeDefined();
});
afterAll(async () => {
  await server?.close();
});

const doc = (name: string, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  name,
  nodes: [{ id: 'start', type: 'trigger.manual', config: {} }],
  edges: [],
  ...extra,
});

/** Send `raw` as the JSON body; expect a 400 whose first invalid param starts with `field`. */
async function expectRefused(method: string, path: string, raw: string, field: string): Promise<void> {
  const answer = await team.owner.client.request<ProblemBody>(method, path, undefined, { rawBody: raw });
  expect(answer.status, `${method} ${path} ${field}: ${answer.text.slice(0, 300)}`).toBe(400);
  expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const name = answer.body.invalidParams?.[0]?.name ?? '';
  expect(name.startsWith(field), `${field} vs ${name}`).toBe(true);
}

describe('hostile text in bodies → 400 naming the field', () => {
  it('NUL in workflow, node, credential and workspace names, event ids and approval comments', async () => {
    const nul = 'bad\u0000name';
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', `${base}/workflows`, doc(nul), 'body.name'],
      [
        'PUT',
        `${base}/workflows/${workflowId}`,
        doc('ok', { nodes: [{ id: nul, type: 'trigger.manual', config: {} }] }),
        'body.nodes.0.id',
      ],
      ['POST', `${base}/credentials`, { name: nul, type: 'bearer', data: { token: 't' } }, 'body.name'],
      ['PATCH', base, { name: nul }, 'body.name'],
      ['POST', `${base}/events`, { id: nul, name: 'app.thing_happened' }, 'body.id'],
      ['POST', `${base}/events`, { id: 'e-1', name: 'app.x', data: { note: nul } }, 'body.data.note'],
      ['POST', `${base}/approvals/${approvalId}/approve`, { comment: nul }, 'body.comment'],
      ['POST', `${base}/workflows/${workflowId}/runs`, { input: { [nul]: 1 } }, 'body.input'],
    ];
    for (const [method, path, body, field] of cases)
      await expectRefused(method, path, JSON.stringify(body), field);
  });

  it('lone surrogates in names and run input, in keys and values', async () => {
    // JSON.stringify would escape them; the raw text is what a hostile client sends.
    await expectRefused(
      'POST',
      `${base}/workflows`,
      '{"schemaVersion":1,"name":"\\ud800","nodes":[],"edges":[]}',
      'body.name',
    );
    await expectRefused(
      'POST',
      `${base}/workflows/${workflowId}/runs`,
      '{"input":{"who":"\\udfff x"}}',
      'body.input.who',
    );
    await expectRefused(
      'POST',
      `${base}/workflows/${workflowId}/runs`,
      '{"input":{"\\ud83d":"key"}}',
      'body.input',
    );
    await expectRefused(
      'POST',
      '/api/v1/auth/signup',
      '{"email":"s@example.com","password":"violet canal drums 1987","name":"\\ud800"}',
      'body.name',
    );
    // A proper pair (an emoji) is fine.
    const emoji = await team.owner.client.post(`${base}/workflows/${workflowId}/runs`, {
      input: { who: '😀' },
    });
    expect(emoji.status).toBe(202);
  });

  it('JSON nested 10,000 deep in run input, node config, event data and a json-logic rule', async () => {
    await expectRefused(
      'POST',
      `${base}/workflows/${workflowId}/runs`,
      `{"input":${deepArray}}`,
      'body.input',
    );
    await expectRefused(
      'POST',
      `${base}/workflows`,
      `{"schemaVersion":1,"name":"deep","nodes":[{"id":"s","type":"trigger.manual","config":{"x":${deepArray}}}],"edges":[]}`,
      'body.nodes.0.config.x',
    );
    await expectRefused(
      'POST',
      `${base}/events`,
      `{"id":"deep-1","name":"app.deep","data":{"x":${deepArray}}}`,
      'body.data.x',
    );
    await expectRefused(
      'POST',
      `${base}/workflows`,
      `{"schemaVersion":1,"name":"deep rule","nodes":[{"id":"s","type":"trigger.manual","config":{}},` +
        `{"id":"if","type":"logic.if","config":{"condition":${deepRule}}}],"edges":[{"from":"s","to":"if"}]}`,
      'body.nodes.1.config.condition',
    );
    // Nesting a real document needs is fine: 30 levels of json-logic.
    const rule = Array.from({ length: 30 }).reduce<unknown>((inner) => ({ '!': [inner] }), true);
    const ok = await team.owner.client.post(`${base}/workflows`, {
      ...doc('thirty deep'),
      nodes: [
        { id: 's', type: 'trigger.manual', config: {} },
        { id: 'if', type: 'logic.if', config: { condition: rule } },
      ],
      edges: [{ from: 's', to: 'if' }],
    });
    expect(ok.status, ok.text).toBe(201);
  });

  it('NUL in query strings and path parameters', async () => {
    const query = await team.owner.client.get(`${base}/runs?status=%00`);
    expect(query.status).toBe(400);
    expect(query.body.invalidParams?.[0]?.name).toBe('query.status');
    const param = await team.owner.client.get(`${base}/credentials/ab%00cd`);
    expect(param.status).toBe(400);
    expect(param.body.invalidParams?.[0]?.name).toBe('params.id');
    const events = await team.owner.client.get(`${base}/events?name=%ED%A0%80`);
    expect(events.status).toBeLessThan(500);
  });
});

describe('afterwards', () => {
  it('the server is healthy, nothing hostile was stored, and a normal request works', async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const names = await server.db.knex('workflows').where({ workspace_id: team.workspaceId }).pluck('name');
    expect(names.some((name: string) => name.includes('\u0000'))).toBe(false);
    const fine = await team.owner.client.post(`${base}/events`, { id: 'fine-1', name: 'app.fine' });
    expect(fine.status).toBe(202);
  });
});
