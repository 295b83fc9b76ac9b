import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../api/hooks/signature.js';
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

function hookWorkflow(path: string, trigger: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    name: `Hook ${path}`,
    nodes: [
      { id: 'hook', type: 'trigger.webhook', config: { path, ...trigger } },
      {
        id: 'shape',
        type: 'data.set',
        config: {
          keepInput: false,
          fields: [{ name: 'total', value: '{{ input.body.qty * input.body.price }}' }],
        },
      },
      { id: 'big', type: 'logic.if', config: { condition: { '>': [{ var: 'input.total' }, 100] } } },
      {
        id: 'score',
        type: 'code.javascript',
        config: { source: 'return { total: input.total, tier: input.total > 500 ? "gold" : "silver" }' },
      },
      {
        id: 'reply',
        type: 'webhook.respond',
        config: { status: 200, headers: { 'x-revflow-tier': '{{ input.tier }}' } },
      },
    ],
    edges: [
      { from: 'hook', to: 'shape' },
      { from: 'shape', to: 'big' },
      { from: 'big', fromPort: 'true', to: 'score' },
      { from: 'score', to: 'reply' },
    ],
  };
}

async function activeHook(path: string, trigger: Record<string, unknown> = {}): Promise<string> {
  const created = await team.member.client.post<Body>(`${base}/workflows`, hookWorkflow(path, trigger));
  expect(created.status).toBe(201);
  expect(
    (await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {})).status,
  ).toBe(201);
  expect((await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/activate`)).status).toBe(
    200,
  );
  return created.body.id as string;
}

const hookUrl = (path: string) => `${server.baseUrl}/hooks/${team.workspaceId}/${path}`;

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(hookUrl(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function runsOf(workflowId: string): Promise<Array<{ id: string; input: { body: unknown } }>> {
  const response = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${workflowId}`);
  return response.body.items;
}

describe('webhook ingress', () => {
  it('starts a run and answers 202 with its id, storing the event as the run input', async () => {
    const workflowId = await activeHook('lead-created');
    const response = await post('lead-created?source=form', JSON.stringify({ qty: 2, price: 10 }));
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const run = await team.viewer.client.get<Body>(`${base}/runs/${runId}`);
    expect(run.body.workflowId).toBe(workflowId);
    expect(run.body.input).toMatchObject({
      method: 'POST',
      path: 'lead-created',
      query: { source: 'form' },
      body: { qty: 2, price: 10 },
    });
  });

  it('answers synchronously with what the Respond node sends', async () => {
    await activeHook('quote', { responseMode: 'respondNode' });
    const response = await post('quote', JSON.stringify({ qty: 3, price: 99 }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-revflow-tier')).toBe('silver');
    expect(await response.json()).toEqual({ total: 297, tier: 'silver' });
  });

  it('has stored the run and every step by the time a synchronous answer arrives', async () => {
    const workflowId = await activeHook('stored-quote', { responseMode: 'respondNode' });
    const response = await post('stored-quote', JSON.stringify({ qty: 3, price: 99 }));
    expect(response.status).toBe(200);
    const [run] = await runsOf(workflowId);
    const detail = await team.viewer.client.get<Body>(`${base}/runs/${run!.id}`);
    expect(detail.body.status).toBe('succeeded');
    expect(detail.body.input.body).toEqual({ qty: 3, price: 99 });
    const steps = detail.body.steps as Array<{ nodeId: string; status: string }>;
    expect(steps.map((step) => step.nodeId).sort()).toEqual(['big', 'hook', 'reply', 'score', 'shape']);
    expect(steps.every((step) => step.status === 'succeeded')).toBe(true);
  });

  it('answers when the Respond node runs, with the run already stored while it goes on waiting', async () => {
    const document = {
      schemaVersion: 1,
      name: 'Answer first, follow up later',
      nodes: [
        {
          id: 'hook',
          type: 'trigger.webhook',
          config: { path: 'ack-then-wait', responseMode: 'respondNode' },
        },
        { id: 'reply', type: 'webhook.respond', config: { status: 202, body: { accepted: true } } },
        { id: 'later', type: 'flow.delay', config: { ms: 3_600_000 } },
      ],
      edges: [
        { from: 'hook', to: 'reply' },
        { from: 'reply', to: 'later' },
      ],
    };
    const created = await team.member.client.post<Body>(`${base}/workflows`, document);
    expect(created.status).toBe(201);
    await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {});
    await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/activate`);

    const response = await post('ack-then-wait', '{}');
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true });
    const [run] = await runsOf(created.body.id as string);
    expect(run).toBeDefined();
    const detail = await team.viewer.client.get<Body>(`${base}/runs/${run!.id}`);
    expect(['running', 'waiting']).toContain(detail.body.status);
    await team.member.client.post<Body>(`${base}/runs/${run!.id}/cancel`);
  });

  it('answers 503 and runs nothing when the run cannot be stored', async () => {
    const workflowId = await activeHook('unstorable', { responseMode: 'respondNode' });
    // The database refuses this workflow's runs, as a full disk or a lost primary would.
    await server.db.knex.raw(`
      CREATE FUNCTION refuse_run() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
      CREATE TRIGGER refuse_unstorable BEFORE INSERT ON runs FOR EACH ROW
        WHEN (NEW.workflow_id = '${workflowId}') EXECUTE FUNCTION refuse_run();`);
    try {
      const refused = await post('unstorable', JSON.stringify({ qty: 3, price: 99 }));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      const problem: Body = await refused.json();
      expect(problem.detail).toMatch(/could not be stored/);
      expect(await runsOf(workflowId)).toHaveLength(0);
    } finally {
      await server.db.knex.raw('DROP TRIGGER refuse_unstorable ON runs; DROP FUNCTION refuse_run();');
    }
    // The server goes on answering.
    const next = await post('unstorable', JSON.stringify({ qty: 3, price: 99 }));
    expect(next.status).toBe(200);
    expect(await runsOf(workflowId)).toHaveLength(1);
  });

  it('answers with the run output when the run ends without reaching the Respond node', async () => {
    await activeHook('small-quote', { responseMode: 'respondNode' });
    const response = await post('small-quote', JSON.stringify({ qty: 1, price: 5 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'succeeded' });
  });

  it('accepts a correctly signed request and refuses bad and stale signatures with the reason', async () => {
    const workflowId = await activeHook('signed-hook', { signed: true });
    const hooks = await team.admin.client.get<Body>(`${base}/workflows/${workflowId}/webhooks`);
    const secret = hooks.body.items[0].secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(hooks.body.items[0].url).toContain(`/hooks/${team.workspaceId}/signed-hook`);
    const body = JSON.stringify({ qty: 1, price: 1 });

    expect((await post('signed-hook', body, { 'revflow-signature': signPayload(secret, body) })).status).toBe(
      202,
    );

    const forged = await post('signed-hook', body, { 'revflow-signature': signPayload('whsec_wrong', body) });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ reason: 'The signature does not match the body' });

    const stale = await post('signed-hook', body, {
      'revflow-signature': signPayload(secret, body, Math.floor(Date.now() / 1000) - 600),
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { reason: string }).reason).toMatch(/tolerance/);

    const missing = await post('signed-hook', body);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/missing/);
    // Only the one good request started a run.
    expect(await runsOf(workflowId)).toHaveLength(1);
    // Members may not read secrets.
    expect((await team.member.client.get<Body>(`${base}/workflows/${workflowId}/webhooks`)).status).toBe(403);
  });

  it('starts no second run for a repeated Idempotency-Key and returns the first', async () => {
    const workflowId = await activeHook('idempotent');
    const body = JSON.stringify({ qty: 1, price: 1 });
    const first = await post('idempotent', body, { 'idempotency-key': 'evt_123' });
    const second = await post('idempotent', body, { 'idempotency-key': 'evt_123' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const firstRun = ((await first.json()) as { runId: string }).runId;
    expect(((await second.json()) as { runId: string }).runId).toBe(firstRun);
    const other = await post('idempotent', body, { 'idempotency-key': 'evt_456' });
    expect(other.status).toBe(202);
    expect(await runsOf(workflowId)).toHaveLength(2);
  });

  it('answers unknown paths with 404, inactive workflows with 409 and bad bodies with 400, as problem+json', async () => {
    const unknown = await post('no-such-hook', '{}');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');

    const workflowId = await activeHook('paused');
    await team.member.client.post<Body>(`${base}/workflows/${workflowId}/deactivate`);
    const inactive = await post('paused', '{}');
    expect(inactive.status).toBe(409);

    await activeHook('strict');
    const badJson = await post('strict', '{"qty": ');
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { detail: string }).detail).toMatch(/not valid JSON/);
    const wrongMethod = await fetch(hookUrl('strict'), { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('refuses a second active workflow on the same path', async () => {
    await activeHook('shared-path');
    const created = await team.member.client.post<Body>(`${base}/workflows`, hookWorkflow('shared-path'));
    await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {});
    const refused = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/shared-path/);
  });
});
