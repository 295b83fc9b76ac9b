import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

interface RunSummary {
  id: string;
  status: string;
  input: Body;
}

let server: TestApi;
let team: Team;
let base: string;
type WorkflowKey =
  'signup' | 'inactive' | 'bigDeal' | 'failing' | 'handler' | 'otherHandler' | 'narrowHandler';
const ids = {} as Record<WorkflowKey, string>;

function workflow(name: string, trigger: { type: string; config: Record<string, unknown> }, source: string) {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'start', ...trigger },
      { id: 'work', type: 'code.javascript', config: { source } },
    ],
    edges: [{ from: 'start', to: 'work' }],
  };
}

async function create(document: ReturnType<typeof workflow>, activate = true): Promise<string> {
  const client = team.member.client;
  const created = await client.post<Body>(`${base}/workflows`, document);
  expect(created.status).toBe(201);
  expect((await client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(201);
  if (activate)
    expect((await client.post<Body>(`${base}/workflows/${created.body.id}/activate`)).status).toBe(200);
  return created.body.id as string;
}

async function runsOf(workflowId: string): Promise<RunSummary[]> {
  const response = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${workflowId}`);
  expect(response.status).toBe(200);
  return response.body.items as RunSummary[];
}

/** Poll until the workflow has `count` finished runs. */
async function finishedRuns(workflowId: string, count: number, timeoutMs = 10_000): Promise<RunSummary[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await runsOf(workflowId)).filter(
      (run) => !['queued', 'running', 'waiting'].includes(run.status),
    );
    if (runs.length >= count || Date.now() > until) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const event = (body: Record<string, unknown>) => team.member.client.post<Body>(`${base}/events`, body);

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  // Every workflow exists before the first event: active triggers are cached for a few seconds.
  ids.signup = await create(
    workflow(
      'On signup',
      { type: 'trigger.event', config: { event: 'user.signed_up' } },
      'return { hello: input.data.email }',
    ),
  );
  ids.inactive = await create(
    workflow('Inactive', { type: 'trigger.event', config: { event: 'user.signed_up' } }, 'return 1'),
    false,
  );
  ids.bigDeal = await create(
    workflow(
      'Big deals',
      {
        type: 'trigger.event',
        config: { event: 'deal.won', filter: { '>': [{ var: 'input.data.amount' }, 1000] } },
      },
      'return input.data.amount',
    ),
  );
  ids.failing = await create(
    workflow(
      'Nightly import',
      { type: 'trigger.event', config: { event: 'import.requested' } },
      'throw new Error("boom")',
    ),
  );
  // Two error handlers that fail themselves: neither may restart itself or start the other.
  ids.handler = await create(
    workflow('Alert on failure', { type: 'trigger.error', config: {} }, 'throw new Error("handler broke")'),
  );
  ids.otherHandler = await create(
    workflow('Second alert', { type: 'trigger.error', config: {} }, 'throw new Error("also broke")'),
  );
  // Listens to a workflow that never fails.
  ids.narrowHandler = await create(
    workflow('Signup alerts', { type: 'trigger.error', config: { workflowIds: [ids.signup] } }, 'return 1'),
  );
}, 30_000);

afterAll(async () => {
  await server?.close();
});

describe('events API', () => {
  it('starts the matching active workflow with the event as input, and only once per event id', async () => {
    const body = {
      id: 'evt-1',
      name: 'user.signed_up',
      data: { email: 'ada@example.com' },
      occurredAt: '2026-11-27T09:00:00Z',
    };
    const first = await event(body);
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    expect(first.body.runs).toHaveLength(1);
    expect(first.body.runs[0].workflowId).toBe(ids.signup);
    const [run] = await finishedRuns(ids.signup, 1);
    expect(run?.id).toBe(first.body.runs[0].id);
    expect(run?.status).toBe('succeeded');
    const detail = await team.viewer.client.get<Body>(`${base}/runs/${run!.id}`);
    expect(detail.body.input).toEqual({
      id: 'evt-1',
      name: 'user.signed_up',
      data: { email: 'ada@example.com' },
      occurredAt: '2026-11-27T09:00:00.000Z',
      receivedAt: first.body.event.receivedAt,
    });

    // The same id again: the first delivery's runs, nothing new.
    const again = await event({ ...body, data: { email: 'other@example.com' } });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.runs).toEqual(first.body.runs);
    expect(again.body.event.data).toEqual({ email: 'ada@example.com' });
    expect(await runsOf(ids.signup)).toHaveLength(1);
    // The inactive workflow with the same event was never started.
    expect(await runsOf(ids.inactive)).toHaveLength(0);

    const listed = await team.viewer.client.get<Body>(`${base}/events?limit=10`);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toMatchObject({
      id: 'evt-1',
      name: 'user.signed_up',
      runs: first.body.runs,
    });
  });

  it('starts nothing when the filter does not match', async () => {
    const small = await event({ id: 'deal-1', name: 'deal.won', data: { amount: 10 } });
    expect(small.status).toBe(202);
    expect(small.body.runs).toEqual([]);
    const big = await event({ id: 'deal-2', name: 'deal.won', data: { amount: 5000 } });
    expect(big.body.runs).toHaveLength(1);
    const runs = await finishedRuns(ids.bigDeal, 1);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.id).toBe(big.body.runs[0].id);
  });

  it('accepts API keys, and refuses bad bodies, viewers and other workspaces', async () => {
    const key = await team.admin.client.post<Body>(`${base}/api-keys`, { name: 'app', role: 'member' });
    expect(key.status).toBe(201);
    const byKey = await server
      .keyClient(key.body.key)
      .post<Body>(`${base}/events`, { id: 'k-1', name: 'nobody.listens' });
    expect(byKey.status).toBe(202);
    expect(byKey.body.runs).toEqual([]);

    const bad = await event({ id: '', name: 'not a name!', occurredAt: 'yesterday', data: [1] });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    expect(invalidFields(bad.body)).toEqual(['body.data', 'body.id', 'body.name', 'body.occurredAt']);

    expect(
      (await team.viewer.client.post<Body>(`${base}/events`, { id: 'v-1', name: 'user.signed_up' })).status,
    ).toBe(403);
    const foreign = await team.outsider.client.post<Body>(`${base}/events`, {
      id: 'o-1',
      name: 'user.signed_up',
    });
    expect(foreign.status).toBe(404);
    expect((await team.outsider.client.get<Body>(`${base}/events`)).status).toBe(404);
  });
});

describe('error trigger', () => {
  it('starts the error workflows with the failed run, and never loops', async () => {
    const posted = await event({ id: 'import-1', name: 'import.requested' });
    const [failed] = await finishedRuns(ids.failing, 1);
    expect(failed?.id).toBe(posted.body.runs[0].id);
    expect(failed?.status).toBe('failed');

    const [handled] = await finishedRuns(ids.handler, 1);
    const detail = await team.viewer.client.get<Body>(`${base}/runs/${handled!.id}`);
    expect(detail.body.input).toMatchObject({
      run: {
        id: failed!.id,
        workflowId: ids.failing,
        status: 'failed',
        error: { message: expect.stringContaining('boom') },
      },
      workflow: { id: ids.failing, name: 'Nightly import' },
    });
    expect(handled?.status).toBe('failed');
    const [other] = await finishedRuns(ids.otherHandler, 1);
    expect(other?.status).toBe('failed');
    // Both handlers failed: give a chained run (one handler starting the other) time to appear.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await runsOf(ids.handler)).toHaveLength(1);
    expect(await runsOf(ids.otherHandler)).toHaveLength(1);
    // workflowIds: only failures of those workflows.
    expect(await runsOf(ids.narrowHandler)).toHaveLength(0);
  });
});

describe('trigger node configs', () => {
  const registry = createNodeRegistry();
  const doc = (trigger: { type: string; config: Record<string, unknown> }) =>
    workflow('x', trigger, 'return 1');

  it('accepts good configs and names the wrong field', () => {
    expect(
      validateWorkflow(
        doc({ type: 'trigger.event', config: { event: 'user.signed_up', filter: { '==': [1, 1] } } }),
        registry,
      ).ok,
    ).toBe(true);
    expect(validateWorkflow(doc({ type: 'trigger.error', config: {} }), registry).ok).toBe(true);
    const badName = validateWorkflow(
      doc({ type: 'trigger.event', config: { event: 'has spaces' } }),
      registry,
    );
    expect(badName.ok).toBe(false);
    expect(badName.issues.map((issue) => [issue.nodeId, issue.field])).toContainEqual([
      'start',
      'config.event',
    ]);
    const badIds = validateWorkflow(
      doc({ type: 'trigger.error', config: { workflowIds: ['nope'] } }),
      registry,
    );
    expect(
      badIds.issues.some(
        (issue) => issue.nodeId === 'start' && issue.field?.startsWith('config.workflowIds'),
      ),
    ).toBe(true);
  });
});
