import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';

/**
 * The editor's server side (issue 18): validation that means "this will run" (code syntax with
 * its line, missing credentials and SMTP, edges reported on the edge) and test runs of the draft
 * (whole, up to a node, one node) with pinned data, marked as tests and outside the runs list of
 * production versions.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;
let base: string;

beforeAll(async () => {
  delete process.env.SMTP_URL;
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
});

const chain = (source = 'return { doubled: input.n * 2 }') => ({
  schemaVersion: 1,
  name: 'Double it',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'double', type: 'code.javascript', config: { source } },
    { id: 'label', type: 'code.javascript', config: { source: 'return { text: "n=" + input.doubled }' } },
  ],
  edges: [
    { from: 'start', to: 'double' },
    { from: 'double', to: 'label' },
  ],
});

async function create(document: unknown): Promise<Body> {
  const response = await team.member.client.post<Body>(`${base}/workflows`, document);
  expect(response.status).toBe(201);
  return response.body;
}

async function finished(runId: string): Promise<Body> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await team.member.client.get<Body>(`${base}/runs/${runId}`);
    expect(response.status).toBe(200);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(response.body.status))
      return response.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${response.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const stepOf = (run: Body, nodeId: string): Body => run.steps.find((s: Body) => s.nodeId === nodeId);

describe('validation that means "this will run"', () => {
  it('reports a code syntax error with its line on the node, and publishing refuses it', async () => {
    const workflow = await create(chain('const a = 1;\nreturn { a: ;'));
    const issue = workflow.validation.issues.find((i: Body) => i.code === 'syntax_error');
    expect(issue).toMatchObject({ nodeId: 'double', field: 'config.source' });
    expect(issue.message).toMatch(/line 2: SyntaxError/);
    const publish = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/publish`, {});
    expect(publish.status).toBe(400);
    expect(invalidFields(publish.body)).toContain('nodes.double.config.source');
  });

  it('never runs the code it checks: a syntax check of an infinite loop returns at once', async () => {
    const workflow = await create(chain('while (true) {}\nreturn 1'));
    expect(workflow.validation.ok).toBe(true);
  });

  it('reports an email node without SMTP and a credential that does not exist', async () => {
    const workflow = await create({
      schemaVersion: 1,
      name: 'Mail and AI',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'mail', type: 'email.send', config: { to: 'a@example.com', subject: 'Hi', text: 'x' } },
        {
          id: 'ai',
          type: 'ai.generate',
          config: { prompt: 'hello', credentialId: '0190a3c4-0000-7000-8000-000000000000' },
        },
      ],
      edges: [
        { from: 'start', to: 'mail' },
        { from: 'start', to: 'ai' },
      ],
    });
    const codes = workflow.validation.issues.map((i: Body) => [i.nodeId, i.code]);
    expect(codes).toContainEqual(['mail', 'not_configured']);
    expect(codes).toContainEqual(['ai', 'missing_credential']);
    const publish = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/publish`, {});
    expect(publish.status).toBe(400);
  });

  it('reports a broken edge with its edge index', async () => {
    const document = chain();
    document.edges.push({ from: 'double', to: 'nowhere' });
    const workflow = await create(document);
    const issue = workflow.validation.issues.find((i: Body) => i.code === 'dangling_edge');
    expect(issue).toMatchObject({ edgeIndex: 2, field: 'to' });
  });
});

describe('test runs of the draft', () => {
  it('runs the unpublished draft, marked as a test, and does not publish it', async () => {
    const workflow = await create(chain());
    const started = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      input: { n: 21 },
    });
    expect(started.status).toBe(202);
    expect(started.body.test).toBe(true);
    const run = await finished(started.body.id);
    expect(run.status).toBe('succeeded');
    expect(stepOf(run, 'label').output).toEqual({ text: 'n=42' });
    const after = await team.member.client.get<Body>(`${base}/workflows/${workflow.id}`);
    expect(after.body.status).toBe('draft');
    expect(
      (await team.member.client.get<Body>(`${base}/workflows/${workflow.id}/versions`)).body.items,
    ).toEqual([]);
    // The run viewer reaches the test snapshot through the workflow.
    const version = await team.viewer.client.get<Body>(
      `${base}/workflows/${workflow.id}/versions/${run.versionId}`,
    );
    expect(version.status).toBe(200);
    expect(version.body.workflowId).not.toBe(workflow.id);
  });

  it('leaves test runs out of the workflow-runs meter, and counts a production run', async () => {
    const runsUsed = async (): Promise<number> =>
      (
        (await team.owner.client.get<Body>(`${base}/billing`)).body.usage as Array<{
          meter: string;
          used: number;
        }>
      ).find((meter) => meter.meter === 'workflow_runs')!.used;
    const before = await runsUsed();
    const workflow = await create(chain());
    const tested = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      input: { n: 1 },
    });
    expect((await finished(tested.body.id)).status).toBe('succeeded');
    expect(await runsUsed()).toBe(before);
    expect((await team.member.client.post(`${base}/workflows/${workflow.id}/publish`, {})).status).toBe(201);
    const real = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/runs`, {
      input: { n: 1 },
    });
    expect((await finished(real.body.id)).status).toBe('succeeded');
    expect(await runsUsed()).toBe(before + 1);
  });

  it('runs up to a node, and one node alone with a typed input or the last run', async () => {
    const workflow = await create(chain());
    const until = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      mode: 'until',
      nodeId: 'double',
      input: { n: 5 },
    });
    const untilRun = await finished(until.body.id);
    expect(stepOf(untilRun, 'double').output).toEqual({ doubled: 10 });
    expect(stepOf(untilRun, 'label')).toBeUndefined();

    const alone = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      mode: 'node',
      nodeId: 'label',
      input: { doubled: 7 },
    });
    const aloneRun = await finished(alone.body.id);
    expect(stepOf(aloneRun, 'label').output).toEqual({ text: 'n=7' });

    // From the last run: the upstream outputs of the run before.
    const fromLast = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      mode: 'node',
      nodeId: 'label',
    });
    const fromLastRun = await finished(fromLast.body.id);
    expect(stepOf(fromLastRun, 'label').output).toEqual({ text: 'n=7' });
  });

  it('uses pinned data instead of running the pinned node', async () => {
    const document = { ...chain(), pinData: { double: { doubled: 1000 } } };
    const workflow = await create(document);
    const started = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {
      input: { n: 1 },
    });
    const run = await finished(started.body.id);
    expect(stepOf(run, 'label').output).toEqual({ text: 'n=1000' });
  });

  it('refuses a viewer, another workspace and an unknown node with clear problems', async () => {
    const workflow = await create(chain());
    const path = `${base}/workflows/${workflow.id}/test-runs`;
    expect((await team.viewer.client.post<Body>(path, {})).status).toBe(403);
    expect((await team.outsider.client.post<Body>(path, {})).status).toBe(404);
    const unknown = await team.member.client.post<Body>(path, { mode: 'node', nodeId: 'ghost' });
    expect(unknown.status).toBe(400);
    expect(invalidFields(unknown.body).some((field) => field.endsWith('nodeId'))).toBe(true);
    const missing = await team.member.client.post<Body>(path, { mode: 'until' });
    expect(missing.status).toBe(400);
    expect(invalidFields(missing.body).some((field) => field.endsWith('nodeId'))).toBe(true);
    const hostile = await team.member.client.post<Body>(path, { mode: 'node', nodeId: 'a\u0000\ud800' });
    expect(hostile.status).toBe(400);
  });

  it('refuses to test a draft whose code does not parse', async () => {
    const workflow = await create(chain('return {'));
    const started = await team.member.client.post<Body>(`${base}/workflows/${workflow.id}/test-runs`, {});
    expect(started.status).toBe(400);
    expect(invalidFields(started.body)).toContain('nodes.double.config.source');
  });

  it('keeps pinned data in the draft and refuses hostile pinned data with a 4xx, never a 500', async () => {
    const workflow = await create(chain());
    const path = `${base}/workflows/${workflow.id}`;
    const pinned = await team.member.client.put<Body>(path, {
      ...chain(),
      pinData: { double: { doubled: 3 } },
    });
    expect(pinned.status).toBe(200);
    expect(pinned.body.draft.pinData).toEqual({ double: { doubled: 3 } });
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const raw = JSON.stringify({ ...chain(), pinData: { double: 0 } }).replace(
      '"double":0',
      `"double":${deep}`,
    );
    const hostile = await team.member.client.request<Body>('PUT', path, undefined, { rawBody: raw });
    expect(hostile.status).toBe(400);
    expect(invalidFields(hostile.body).some((field) => field.startsWith('body.pinData'))).toBe(true);
    const badKey = await team.member.client.put<Body>(path, { ...chain(), pinData: { 'bad id!': 1 } });
    expect(badKey.status).toBe(400);
  });
});

describe('retrying a run with edited input', () => {
  it('starts a new run of the published version that records the run it retries', async () => {
    const workflow = await create(
      chain('if (!input.n.x) throw new Error("no x");\nreturn { doubled: input.n.x * 2 }'),
    );
    const path = `${base}/workflows/${workflow.id}`;
    expect((await team.member.client.post<Body>(`${path}/publish`, {})).status).toBe(201);
    const failed = await finished(
      (await team.member.client.post<Body>(`${path}/runs`, { input: { n: 1 } })).body.id,
    );
    expect(failed.status).toBe('failed');
    const retry = await team.member.client.post<Body>(`${path}/runs`, {
      input: { n: { x: 4 } },
      retryOf: failed.id,
    });
    expect(retry.status).toBe(202);
    const run = await finished(retry.body.id);
    expect(run.retryOf).toBe(failed.id);
    expect(stepOf(run, 'label').output).toEqual({ text: 'n=8' });
    // A run of another workflow cannot be named as the one retried.
    const other = await create(chain());
    await team.member.client.post<Body>(`${base}/workflows/${other.id}/publish`, {});
    const wrong = await team.member.client.post<Body>(`${base}/workflows/${other.id}/runs`, {
      retryOf: failed.id,
    });
    expect(wrong.status).toBe(404);
  });
});

describe("a webhook trigger's test URL", () => {
  it("captures a request as the trigger's pinned data and test-runs the draft; a wrong token is 404", async () => {
    const workflow = await create({
      schemaVersion: 1,
      name: 'Hooked',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'lead-test' } },
        { id: 'pick', type: 'code.javascript', config: { source: 'return { email: input.body.email }' } },
      ],
      edges: [{ from: 'hook', to: 'pick' }],
    });
    const hook = await team.member.client.get<Body>(`${base}/workflows/${workflow.id}/test-hook`);
    expect(hook.status).toBe(200);
    expect((await team.viewer.client.get<Body>(`${base}/workflows/${workflow.id}/test-hook`)).status).toBe(
      403,
    );
    const path = new URL(hook.body.url).pathname;
    const sent = await fetch(`${server.baseUrl}${path}?src=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ana@example.com' }),
    });
    expect(sent.status).toBe(202);
    const { runId } = (await sent.json()) as { runId: string };
    const run = await finished(runId);
    expect(stepOf(run, 'pick').output).toEqual({ email: 'ana@example.com' });
    const draft = (await team.member.client.get<Body>(`${base}/workflows/${workflow.id}`)).body.draft;
    expect(draft.pinData.hook).toMatchObject({ body: { email: 'ana@example.com' }, query: { src: 'test' } });
    expect(draft.pinData.hook.headers.cookie).toBeUndefined();
    // The workflow is still an unpublished draft: production traffic never moved.
    expect((await team.member.client.get<Body>(`${base}/workflows/${workflow.id}`)).body.status).toBe(
      'draft',
    );
    const wrong = await fetch(`${server.baseUrl}${path.slice(0, -3)}xyz`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(wrong.status).toBe(404);
    const garbage = await fetch(`${server.baseUrl}/api/v1/test-hooks/not-a-token-%00`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect([400, 404]).toContain(garbage.status);
  });
});
