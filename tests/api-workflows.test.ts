import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';
import { readSse } from './helpers/sse.js';

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

const scoring = (source = 'return { plan: input.usage > 80 ? "professional" : "starter" }') => ({
  schemaVersion: 1,
  name: 'Score account',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'engaged', type: 'logic.if', config: { condition: { '>=': [{ var: 'input.score' }, 60] } } },
    { id: 'offer', type: 'code.javascript', config: { source } },
  ],
  edges: [
    { from: 'start', to: 'engaged' },
    { from: 'engaged', fromPort: 'true', to: 'offer' },
  ],
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

async function untilRun(runId: string, statuses: string[]): Promise<Body> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await team.member.client.get<Body>(`${base}/runs/${runId}`);
    expect(response.status).toBe(200);
    if (statuses.includes(response.body.status)) return response.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} stayed ${response.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function publishedWorkflow(document: object): Promise<string> {
  const created = await team.member.client.post<Body>(`${base}/workflows`, document);
  expect(created.status).toBe(201);
  const published = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {
    note: 'first',
  });
  expect(published.status).toBe(201);
  return created.body.id as string;
}

describe('workflow drafts', () => {
  it('saves an incomplete draft and reports its problems on the node and field', async () => {
    const draft = scoring();
    draft.nodes[2]!.config = {};
    const response = await team.member.client.post<Body>(`${base}/workflows`, draft);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'Score account', status: 'draft' });
    expect(response.body.validation.ok).toBe(false);
    expect(response.body.validation.issues).toContainEqual(
      expect.objectContaining({ nodeId: 'offer', field: 'config.source', code: 'invalid_config' }),
    );
  });

  it('warns, naming the field, when a node asks for more sandbox memory than the server gives', async () => {
    const draft = scoring();
    (draft.nodes[2] as { sandbox?: object }).sandbox = { memoryMb: 1024 };
    const response = await team.member.client.post<Body>(`${base}/workflows`, draft);
    expect(response.status).toBe(201);
    expect(response.body.validation.ok).toBe(true);
    expect(response.body.validation.warnings).toEqual([
      expect.objectContaining({ nodeId: 'offer', field: 'sandbox.memoryMb', code: 'sandbox_limit' }),
    ]);
    expect(response.body.validation.warnings[0].message).toMatch(/1024, above the server's limit of \d+/);
  });

  it('refuses a document that is not a workflow, naming the field', async () => {
    const response = await team.member.client.post<Body>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'x',
      nodes: 'nope',
      edges: [],
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.invalidParams.map((p: { name: string }) => p.name)).toContain('nodes');
  });

  it('refuses publishing until the problems are fixed, then numbers versions', async () => {
    const draft = scoring();
    draft.nodes[2]!.config = {};
    const created = await team.member.client.post<Body>(`${base}/workflows`, draft);
    const id = created.body.id as string;
    const refused = await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.invalidParams).toContainEqual({
      name: 'nodes.offer.config.source',
      reason: expect.stringContaining('required'),
    });

    const saved = await team.member.client.put<Body>(`${base}/workflows/${id}`, scoring());
    expect(saved.status).toBe(200);
    expect(saved.body.validation).toEqual({ ok: true, issues: [], warnings: [] });
    const v1 = await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, { note: 'first' });
    const v2 = await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, { note: 'second' });
    expect([v1.body.number, v2.body.number]).toEqual([1, 2]);
    const versions = await team.viewer.client.get<Body>(`${base}/workflows/${id}/versions`);
    expect(versions.body.items.map((v: { number: number; note: string }) => [v.number, v.note])).toEqual([
      [2, 'second'],
      [1, 'first'],
    ]);
    const one = await team.viewer.client.get<Body>(`${base}/workflows/${id}/versions/${v1.body.id}`);
    expect(one.body.document.nodes).toHaveLength(3);
  });

  it('exports a document and imports it as a new workflow', async () => {
    const id = await publishedWorkflow(scoring());
    const exported = await team.viewer.client.get<Body>(`${base}/workflows/${id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('Score-account.json');
    const imported = await team.member.client.post<Body>(`${base}/workflows/import`, exported.body);
    expect(imported.status).toBe(201);
    expect(imported.body.id).not.toBe(id);
    expect(imported.body.draft.nodes).toEqual(exported.body.nodes);
  });

  it('lists workflows with their status and last run, and searches by name', async () => {
    const id = await publishedWorkflow({ ...scoring(), name: 'Findable renewal flow' });
    const run = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, { input: { score: 10 } });
    await untilRun(run.body.id, ['succeeded']);
    const listed = await team.viewer.client.get<Body>(`${base}/workflows?q=findable`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      id,
      status: 'published',
      lastRun: { id: run.body.id, status: 'succeeded' },
    });
  });

  it('keeps viewers from editing and other workspaces out', async () => {
    const id = await publishedWorkflow(scoring());
    expect((await team.viewer.client.post<Body>(`${base}/workflows`, scoring())).status).toBe(403);
    expect((await team.viewer.client.put<Body>(`${base}/workflows/${id}`, scoring())).status).toBe(403);
    const foreign = await team.outsider.client.get<Body>(`${base}/workflows/${id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('Score account');
    // The outsider's own workspace id with this workflow id finds nothing either.
    const crossed = await team.outsider.client.get<Body>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/workflows/${id}`,
    );
    expect(crossed.status).toBe(404);
    expect((await server.client().get<Body>(`${base}/workflows`)).status).toBe(401);
  });

  it('deletes a workflow', async () => {
    const id = await publishedWorkflow(scoring());
    expect((await team.member.client.delete<Body>(`${base}/workflows/${id}`)).status).toBe(204);
    expect((await team.member.client.get<Body>(`${base}/workflows/${id}`)).status).toBe(404);
  });
});

describe('runs', () => {
  it('runs the published version and records every step', async () => {
    const id = await publishedWorkflow(scoring());
    const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, {
      input: { score: 75, usage: 91 },
    });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`${base}/runs/${started.body.id}`);
    const run = await untilRun(started.body.id, ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'succeeded', version: 1, output: { plan: 'professional' } });
    const offer = run.steps.find((step: Body) => step.nodeId === 'offer');
    expect(offer).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      input: { score: 75, usage: 91 },
      output: { plan: 'professional' },
    });
    expect(typeof (offer as { durationMs: unknown }).durationMs).toBe('number');
  });

  it('refuses to run an unpublished workflow with a clear reason', async () => {
    const created = await team.member.client.post<Body>(`${base}/workflows`, scoring());
    const response = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/runs`, {
      input: {},
    });
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/Publish the workflow/);
  });

  it('pages through runs with a cursor and filters by workflow and status', async () => {
    const id = await publishedWorkflow(scoring());
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, {
        input: { score: 70, usage: i },
      });
      ids.push(started.body.id);
    }
    await Promise.all(ids.map((runId) => untilRun(runId, ['succeeded'])));
    const first = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${id}&limit=2`);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3]]);
    const second = await team.viewer.client.get<Body>(
      `${base}/runs?workflowId=${id}&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const failed = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${id}&status=failed`);
    expect(failed.body.items).toEqual([]);
    const bad = await team.viewer.client.get<Body>(`${base}/runs?status=exploded`);
    expect(bad.status).toBe(400);
    expect(bad.body.invalidParams[0].name).toBe('query.status');
  });

  it('cancels a waiting run', async () => {
    const id = await publishedWorkflow({
      schemaVersion: 1,
      name: 'Wait a day',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'pause', type: 'flow.delay', config: { ms: 86_400_000 } },
      ],
      edges: [{ from: 'start', to: 'pause' }],
    });
    const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, { input: {} });
    await untilRun(started.body.id, ['waiting']);
    const cancelled = await team.member.client.post<Body>(`${base}/runs/${started.body.id}/cancel`);
    expect(cancelled.status).toBe(202);
    const run = await untilRun(started.body.id, ['cancelled']);
    expect(run.status).toBe('cancelled');
    const again = await team.member.client.post<Body>(`${base}/runs/${started.body.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it('retries a failed run from its failed step with the newly published version', async () => {
    const id = await publishedWorkflow(scoring('throw new Error("pricing service down")'));
    const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, {
      input: { score: 90, usage: 95 },
    });
    const failed = await untilRun(started.body.id, ['failed']);
    expect(failed.steps.find((s: Body) => s.nodeId === 'offer')).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('pricing service down') },
    });

    await team.member.client.put<Body>(`${base}/workflows/${id}`, scoring());
    await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, { note: 'fixed' });
    const retried = await team.member.client.post<Body>(`${base}/runs/${started.body.id}/retry`);
    expect(retried.status).toBe(202);
    const run = await untilRun(retried.body.id, ['succeeded', 'failed']);
    expect(run).toMatchObject({
      status: 'succeeded',
      retryOf: started.body.id,
      version: 2,
      output: { plan: 'professional' },
    });
  });

  it('streams live step updates over Server-Sent Events until the run ends', async () => {
    const id = await publishedWorkflow({
      schemaVersion: 1,
      name: 'Short wait',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'pause', type: 'flow.delay', config: { ms: 300 } },
        { id: 'after', type: 'data.set', config: { fields: [{ name: 'done', value: true }] } },
      ],
      edges: [
        { from: 'start', to: 'pause' },
        { from: 'pause', to: 'after' },
      ],
    });
    const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, {
      input: { lead: 1 },
    });
    const events = await readSse(
      `${server.baseUrl}${base}/runs/${started.body.id}/events`,
      team.viewer.client.sessionCookie!,
      10_000,
    );
    expect(events[0]?.event).toBe('snapshot');
    const stepEvents = events
      .filter((e) => e.event === 'step')
      .map((e) => `${e.data.nodeId}:${e.data.status}`);
    expect(stepEvents).toContain('after:succeeded');
    const runEvent = events.find((e) => e.event === 'run' && e.data.status === 'succeeded');
    expect(runEvent?.data).toMatchObject({ status: 'succeeded', output: { lead: 1, done: true } });
    // The stream ends with a full snapshot: every step, whatever a late viewer missed.
    const last = events.at(-1)!;
    expect(last.event).toBe('snapshot');
    expect(last.data.status).toBe('succeeded');
    expect(last.data.steps.map((s: Body) => `${s.nodeId}:${s.status}`).sort()).toEqual([
      'after:succeeded',
      'pause:succeeded',
      'start:succeeded',
    ]);
  });

  it('hides runs of other workspaces', async () => {
    const id = await publishedWorkflow(scoring());
    const started = await team.member.client.post<Body>(`${base}/workflows/${id}/runs`, {
      input: { score: 1 },
    });
    const foreign = await team.outsider.client.get<Body>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/runs/${started.body.id}`,
    );
    expect(foreign.status).toBe(404);
    expect((await team.outsider.client.post<Body>(`${base}/runs/${started.body.id}/cancel`)).status).toBe(
      404,
    );
  });
});

describe('activation and node types', () => {
  it('activates only a published workflow', async () => {
    const created = await team.member.client.post<Body>(`${base}/workflows`, scoring());
    const refused = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/activate`);
    expect(refused.status).toBe(409);
    await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {});
    const active = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/activate`);
    expect(active.body).toMatchObject({ status: 'active', active: true });
    const inactive = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/deactivate`);
    expect(inactive.body).toMatchObject({ status: 'published', active: false });
  });

  it('describes every node type with its ports and config schema', async () => {
    const response = await team.viewer.client.get<Body>('/api/v1/node-types');
    expect(response.status).toBe(200);
    const byType = new Map(response.body.items.map((t: { type: string }) => [t.type, t]));
    expect(byType.get('logic.if')).toMatchObject({
      family: 'logic',
      inputs: ['in'],
      outputs: ['true', 'false'],
    });
    expect(byType.get('trigger.manual')).toMatchObject({ family: 'trigger', inputs: [] });
    expect(byType.get('code.javascript')).toMatchObject({
      rawFields: ['source'],
      configSchema: { type: 'object', required: ['source'] },
    });
    const ports = await team.viewer.client.post<Body>('/api/v1/node-types/logic.switch/ports', {
      config: { cases: [{ port: 'hot', condition: true }] },
    });
    expect(ports.body.outputs).toEqual(['hot', 'default']);
    expect((await server.client().get<Body>('/api/v1/node-types')).status).toBe(401);
  });
});
