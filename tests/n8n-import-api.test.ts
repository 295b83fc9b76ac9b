import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;
type Params = Record<string, unknown>;

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

const link = (node: string, index = 0) => ({ node, type: 'main', index });

/** webhook → set → if → code → respond, as n8n 1.x exports it. */
function quoteWorkflow(path: string): Params {
  return {
    name: 'Quote (from n8n)',
    nodes: [
      {
        parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
        id: 'w1',
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: 'abc',
      },
      {
        parameters: {
          assignments: {
            assignments: [
              { id: 'a1', name: 'total', value: '={{ $json.body.qty * $json.body.price }}', type: 'number' },
              { id: 'a2', name: 'customer', value: '={{ $json.body.name }}', type: 'string' },
            ],
          },
          options: {},
        },
        id: 's1',
        name: 'Price',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [220, 0],
      },
      {
        parameters: {
          conditions: {
            options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
            conditions: [
              {
                id: 'c1',
                leftValue: '={{ $json.total }}',
                rightValue: 100,
                operator: { type: 'number', operation: 'gt' },
              },
            ],
            combinator: 'and',
          },
          options: {},
        },
        id: 'i1',
        name: 'Big order?',
        type: 'n8n-nodes-base.if',
        typeVersion: 2.2,
        position: [440, 0],
      },
      {
        parameters: {
          jsCode:
            "return $input.all().map((item) => ({ json: { ...item.json, tier: item.json.total > 500 ? 'gold' : 'silver', greeting: `Hi ${$('Price').first().json.customer}` } }));",
        },
        id: 'k1',
        name: 'Tier',
        type: 'n8n-nodes-base.code',
        typeVersion: 2,
        position: [660, -100],
      },
      {
        parameters: {
          options: { responseHeaders: { entries: [{ name: 'X-Tier', value: '={{ $json.tier }}' }] } },
        },
        id: 'r1',
        name: 'Reply',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion: 1.1,
        position: [880, -100],
      },
      {
        parameters: {
          respondWith: 'json',
          responseBody: '={ "total": {{ $json.total }}, "tier": "none" }',
          options: { responseCode: 202 },
        },
        id: 'r2',
        name: 'Small',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion: 1.1,
        position: [660, 100],
      },
    ],
    connections: {
      Webhook: { main: [[link('Price')]] },
      Price: { main: [[link('Big order?')]] },
      'Big order?': { main: [[link('Tier')], [link('Small')]] },
      Tier: { main: [[link('Reply')]] },
    },
    pinData: {},
    settings: { executionOrder: 'v1' },
    active: false,
  };
}

async function importAndActivate(workflow: Params): Promise<Body> {
  const imported = await team.member.client.post<Body>(`${base}/workflows/import`, workflow);
  expect(imported.status).toBe(201);
  expect(imported.body.validation).toMatchObject({ ok: true, issues: [] });
  const id = imported.body.id as string;
  expect((await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, {})).status).toBe(201);
  expect((await team.member.client.post<Body>(`${base}/workflows/${id}/activate`)).status).toBe(200);
  return imported.body;
}

async function untilRun(runId: string): Promise<Body> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await team.member.client.get<Body>(`${base}/runs/${runId}`);
    if (['succeeded', 'failed'].includes(response.body.status)) return response.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} stayed ${response.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('POST /workflows/import with an n8n workflow', () => {
  it('imports it as a draft and answers with the per-node report', async () => {
    const imported = await team.member.client.post<Body>(
      `${base}/workflows/import`,
      quoteWorkflow('report-quote'),
    );
    expect(imported.status).toBe(201);
    expect(imported.body.name).toBe('Quote (from n8n)');
    expect(imported.body.status).toBe('draft');
    expect(imported.body.importReport.summary).toEqual({
      nodes: 6,
      mapped: 6,
      partial: 0,
      unmapped: 0,
      stickyNotes: 0,
    });
    expect(imported.body.importReport.nodes.map((node: Body) => node.type)).toEqual([
      'trigger.webhook',
      'data.set',
      'logic.if',
      'code.javascript',
      'webhook.respond',
      'webhook.respond',
    ]);
    expect(imported.body.draft.nodes[0].config).toEqual({
      path: 'report-quote',
      method: 'POST',
      responseMode: 'respondNode',
    });
  });

  it('still imports our own exported document, with no report', async () => {
    const document = {
      schemaVersion: 1,
      name: 'Ours',
      nodes: [{ id: 'go', type: 'trigger.manual' }],
      edges: [],
    };
    const imported = await team.member.client.post<Body>(`${base}/workflows/import`, document);
    expect(imported.status).toBe(201);
    expect(imported.body.importReport).toBeNull();
  });

  it('imports a file with an unknown node as a draft with that node reported, not a 400', async () => {
    const workflow = quoteWorkflow('with-unknown');
    (workflow.nodes as Params[]).push({
      parameters: {},
      id: 'x',
      name: 'Sheet',
      type: 'n8n-nodes-base.googleSheets',
      typeVersion: 4,
      position: [0, 300],
    });
    const imported = await team.member.client.post<Body>(`${base}/workflows/import`, workflow);
    expect(imported.status).toBe(201);
    expect(imported.body.importReport.nodes.find((node: Body) => node.name === 'Sheet')).toMatchObject({
      status: 'unmapped',
      reasons: [expect.stringContaining('no Revflow equivalent')],
    });
  });

  it('lets a viewer import nothing and keeps other workspaces out', async () => {
    expect((await team.viewer.client.post<Body>(`${base}/workflows/import`, quoteWorkflow('v'))).status).toBe(
      403,
    );
    expect(
      (await team.outsider.client.post<Body>(`${base}/workflows/import`, quoteWorkflow('o'))).status,
    ).toBe(404);
  });

  it('refuses 10,000-deep JSON, NUL in a node name and too many nodes with a 400 naming the field', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const rawBody = `{"name":"deep","connections":{},"nodes":[{"name":"X","type":"n8n-nodes-base.set","parameters":{"v":${deep}}}]}`;
    const tooDeep = await team.member.client.request<Body>('POST', `${base}/workflows/import`, undefined, {
      rawBody,
    });
    expect(tooDeep.status).toBe(400);
    expect(invalidFields(tooDeep.body)[0]).toMatch(/^body\.nodes\.0\.parameters\.v/);

    const nul = quoteWorkflow('nul');
    (nul.nodes as Params[])[1]!.name = 'Pri\u0000ce';
    const withNul = await team.member.client.post<Body>(`${base}/workflows/import`, nul);
    expect(withNul.status).toBe(400);
    expect(invalidFields(withNul.body).join()).toMatch(/nodes/);

    const many = {
      name: 'Many',
      connections: {},
      nodes: Array.from({ length: 2_001 }, (_, i) => ({
        name: `N${i}`,
        type: 'n8n-nodes-base.noOp',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      })),
    };
    const tooMany = await team.member.client.post<Body>(`${base}/workflows/import`, many);
    expect(tooMany.status).toBe(400);
    expect(invalidFields(tooMany.body)).toContain('nodes');
  });
});

describe('an imported n8n workflow runs as it ran in n8n', () => {
  it('webhook → set → if → code → respond gives the answers n8n gives, on both branches', async () => {
    await importAndActivate(quoteWorkflow('n8n-quote'));
    const post = (body: Params) =>
      fetch(`${server.baseUrl}/hooks/${team.workspaceId}/n8n-quote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // n8n: Price → { total: 297, customer: 'Ada' }; 297 > 100 → Tier adds tier and greeting; Reply answers the first item.
    const big = await post({ qty: 3, price: 99, name: 'Ada' });
    expect(big.status).toBe(200);
    expect(big.headers.get('x-tier')).toBe('silver');
    expect(await big.json()).toEqual({ total: 297, customer: 'Ada', tier: 'silver', greeting: 'Hi Ada' });
    // 20 is not > 100 → Small answers 202 with its JSON body.
    const small = await post({ qty: 1, price: 20, name: 'Bo' });
    expect(small.status).toBe(202);
    expect(await small.json()).toEqual({ total: 20, tier: 'none' });
  });

  it('Split Out → Code for each item → Aggregate turns a list into items and back, as n8n does', async () => {
    const workflow = {
      name: 'Deals (from n8n)',
      nodes: [
        {
          parameters: {},
          name: 'Start',
          type: 'n8n-nodes-base.manualTrigger',
          typeVersion: 1,
          position: [0, 0],
        },
        {
          parameters: { fieldToSplitOut: 'deals', options: {} },
          name: 'Split',
          type: 'n8n-nodes-base.splitOut',
          typeVersion: 1,
          position: [200, 0],
        },
        {
          parameters: {
            mode: 'runOnceForEachItem',
            jsCode: 'return { json: { ...$json, double: $json.amount * 2 } };',
          },
          name: 'Double',
          type: 'n8n-nodes-base.code',
          typeVersion: 2,
          position: [400, 0],
        },
        {
          parameters: {
            fieldsToAggregate: { fieldToAggregate: [{ fieldToAggregate: 'double' }] },
            options: {},
          },
          name: 'Collect',
          type: 'n8n-nodes-base.aggregate',
          typeVersion: 1,
          position: [600, 0],
        },
      ],
      connections: {
        Start: { main: [[link('Split')]] },
        Split: { main: [[link('Double')]] },
        Double: { main: [[link('Collect')]] },
      },
      settings: {},
    };
    const imported = await importAndActivate(workflow);
    const started = await team.member.client.post<Body>(`${base}/workflows/${imported.id}/runs`, {
      input: {
        deals: [
          { id: 1, amount: 10 },
          { id: 2, amount: 30 },
        ],
      },
    });
    expect(started.status).toBe(202);
    const run = await untilRun(started.body.id);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ double: [20, 60] });
  });
});
