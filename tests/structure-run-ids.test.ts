import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from '../api/db/ids.js';
import { derivedRunId } from '../api/events/run-ids.js';
import { tickRunId } from '../engine/schedule/tick-run-id.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

/**
 * Issue 20 item 6: run ids come from the `uuid` package (v7 where they must sort by time), and
 * the runs list is newest first whatever started a run: the API, a webhook, a parent run (whose
 * child ids are name-based), or an older row with a random v4 id.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

const timeOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('ids', () => {
  it('makes v7 ids that increase within a process and carry the time', () => {
    const ids = Array.from({ length: 2_000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(timeOf(ids[0]!) - Date.now())).toBeLessThan(5_000);
    const at = Date.now() + 5;
    const stamped = uuidv7(at);
    expect(timeOf(stamped)).toBe(at);
    // A caller's clock that goes back (a store's `now`) never makes an id sort before an older one.
    expect(uuidv7(1_700_000_000_000) > stamped).toBe(true);
  });

  it('derives the same v7 id from the same parts, with the given time first', () => {
    const id = derivedRunId(1_700_000_000_000, ['event', 'ws', 'evt_1']);
    expect(derivedRunId(1_700_000_000_000, ['event', 'ws', 'evt_1'])).toBe(id);
    expect(derivedRunId(1_700_000_000_000, ['event', 'ws', 'evt_2'])).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(timeOf(id)).toBe(1_700_000_000_000);
    expect(timeOf(tickRunId('wf', 'tick', 1_800_000_000_000))).toBe(1_800_000_000_000);
  });

  it('tells a uuid from hostile text', () => {
    expect(isUuid(uuidv7())).toBe(true);
    expect(isUuid(randomUUID())).toBe(true);
    for (const bad of ['', 'x', `${uuidv7()}\u0000`, `${uuidv7()}' OR '1'='1`, '\ud800', 'g'.repeat(36)])
      expect(isUuid(bad)).toBe(false);
  });
});

let server: TestApi;
let team: Team;
let ws: string;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  ws = `/api/v1/workspaces/${team.workspaceId}`;
}, 90_000);

afterAll(async () => {
  await server?.close();
});

async function published(document: object, activate = false): Promise<{ id: string; versionId: string }> {
  const created = await team.member.client.post<Body>(`${ws}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const version = await team.member.client.post<Body>(`${ws}/workflows/${created.body.id}/publish`, {});
  expect(version.status, version.text).toBe(201);
  if (activate)
    expect((await team.member.client.post(`${ws}/workflows/${created.body.id}/activate`)).status).toBe(200);
  return { id: created.body.id as string, versionId: version.body.id as string };
}

async function settled(runId: string): Promise<Body> {
  const until = Date.now() + 15_000;
  for (;;) {
    const run = await team.member.client.get<Body>(`${ws}/runs/${runId}`);
    if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.body.status)) return run.body;
    if (Date.now() > until) throw new Error(`run ${runId} is still ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the runs list', () => {
  it('is newest first for webhook, API, child and old v4 runs, page by page', async () => {
    const child = await published({
      schemaVersion: 1,
      name: 'Child',
      nodes: [{ id: 'start', type: 'trigger.manual', config: {} }],
      edges: [],
    });
    const parent = await published({
      schemaVersion: 1,
      name: 'Parent',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        { id: 'call', type: 'flow.subWorkflow', config: { workflowId: child.id } },
      ],
      edges: [{ from: 'start', to: 'call' }],
    });
    await published(
      {
        schemaVersion: 1,
        name: 'Hooked',
        nodes: [{ id: 'hook', type: 'trigger.webhook', config: { path: 'run-order' } }],
        edges: [],
      },
      true,
    );
    // An old run with a random v4 id that sorts after everything by id, and a fresh one that sorts first.
    const old = await server.db
      .knex('runs')
      .insert({
        id: `ffffffff-ffff-4fff-bfff-${'f'.repeat(12)}`,
        workspace_id: team.workspaceId,
        workflow_id: child.id,
        version_id: child.versionId,
        status: 'succeeded',
        trigger_node_id: 'start',
        input: '{}',
        created_at: new Date(Date.now() - 3_600_000),
      })
      .returning('id');
    expect(old).toHaveLength(1);

    const order: string[] = [];
    const api = await team.member.client.post<Body>(`${ws}/workflows/${child.id}/runs`, { input: {} });
    expect(api.status).toBe(202);
    order.push((await settled(api.body.id as string)).id as string);
    await pause(20);
    const hook = await fetch(`${server.baseUrl}/hooks/${team.workspaceId}/run-order`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(hook.status).toBe(202);
    order.push((await settled((await hook.json()).runId)).id as string);
    await pause(20);
    const started = await team.member.client.post<Body>(`${ws}/workflows/${parent.id}/runs`, { input: {} });
    const parentRun = await settled(started.body.id as string);
    expect(parentRun.status).toBe('succeeded');
    const childRunId = parentRun.steps.find((step: Body) => step.nodeId === 'call').output.runId as string;
    order.push(parentRun.id as string, childRunId);
    await pause(20);
    const fresh = `00000000-0000-4000-8000-${'0'.repeat(12)}`;
    await server.db.knex('runs').insert({
      id: fresh,
      workspace_id: team.workspaceId,
      workflow_id: child.id,
      version_id: child.versionId,
      status: 'succeeded',
      trigger_node_id: 'start',
      input: '{}',
      created_at: new Date(),
    });
    order.push(fresh);

    const list = await team.viewer.client.get<Body>(`${ws}/runs?limit=200`);
    expect(list.status).toBe(200);
    const items = list.body.items as Body[];
    const times = items.map((run) => Date.parse(run.createdAt as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(items[0].id).toBe(fresh);
    expect(items.at(-1).id).toBe(`ffffffff-ffff-4fff-bfff-${'f'.repeat(12)}`);
    // The parent started its child: the child is newer, and both come after the webhook's run.
    const at = (id: string): number => items.findIndex((run) => run.id === id);
    expect(at(childRunId)).toBeLessThan(at(parentRun.id as string));
    expect(at(parentRun.id as string)).toBeLessThan(at(order[1]!));
    expect(at(order[1]!)).toBeLessThan(at(order[0]!));

    // One run per page: the same order, nothing twice, nothing left out.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Body = await team.viewer.client.get<Body>(
        `${ws}/runs?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      paged.push(...(page.body.items as Body[]).map((run) => run.id as string));
      cursor = page.body.nextCursor as string | null;
    } while (cursor && paged.length < 50);
    expect(paged).toEqual(items.map((run) => run.id));

    // A cursor from another workspace pages nothing of this one.
    const stranger = await team.outsider.client.get<Body>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/runs?cursor=${fresh}`,
    );
    expect(stranger.body.items).toEqual([]);
  });
});
