import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { WorkItemStore } from '../api/work-items/store.js';
import { createNodeRegistry } from '../nodes/index.js';
import type { WorkItem } from '../nodes/services.js';
import { createTeam, startApi, type List, type Team, type TestApi } from './helpers/api.js';
import { createHarness, type Harness } from './helpers/harness.js';

function doc(type: string, config: Record<string, unknown>): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: `${type} test`,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'make', type, config },
    ],
    edges: [{ from: 'start', to: 'make' }],
  };
}

let h: Harness;
let server: TestApi;
let team: Team;

beforeAll(async () => {
  [h, server] = await Promise.all([createHarness(), startApi()]);
  team = await createTeam(server);
});
afterAll(async () => {
  await Promise.all([h?.close(), server?.close()]);
});

describe('tasks.create and tickets.create', () => {
  it('write a task and a ticket of the run’s workspace', async () => {
    const task = await h.runToEnd(
      doc('tasks.create', {
        title: 'Call {{ input.company }}',
        priority: 'high',
        assignee: 'ae@example.com',
        dueAt: '2026-12-01T09:00:00Z',
        data: { deal: '{{ input.deal }}' },
      }),
      {
        company: 'Acme',
        deal: 'd-9',
      },
    );
    expect(task.run.status, JSON.stringify(task.run.error)).toBe('succeeded');
    expect(task.steps.get('make')!.output).toMatchObject({
      kind: 'task',
      title: 'Call Acme',
      priority: 'high',
      status: 'open',
      dueAt: '2026-12-01T09:00:00.000Z',
      data: { deal: 'd-9' },
    });
    const rows = await h.db.knex('tasks').where({ workspace_id: h.workspaceId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source_key: `${task.run.id}:make`, run_id: task.run.id });

    const ticket = await h.runToEnd(
      doc('tickets.create', {
        title: 'Detractor: {{ input.score }}',
        requester: 'c@example.com',
        description: 'NPS follow-up',
      }),
      { score: 3 },
    );
    expect(ticket.run.status).toBe('succeeded');
    expect(ticket.steps.get('make')!.output).toMatchObject({
      kind: 'ticket',
      title: 'Detractor: 3',
      requester: 'c@example.com',
      priority: 'normal',
    });
  });

  it('creates once per step: a re-run with the same idempotency key returns the same row', async () => {
    const store = new WorkItemStore(h.db.knex);
    const source = { key: 'run-x:make', runId: crypto.randomUUID() };
    const first = await store.create(
      'task',
      h.workspaceId,
      { title: 'Once', description: '', priority: 'normal', data: {} },
      source,
    );
    const again = await store.create(
      'task',
      h.workspaceId,
      { title: 'Once', description: '', priority: 'normal', data: {} },
      source,
    );
    expect(first.created).toBe(true);
    expect(again).toEqual({ item: first.item, created: false });
    expect(await h.db.knex('tasks').where({ source_key: 'run-x:make' })).toHaveLength(1);
  });

  it('refuses bad configuration, naming the field', () => {
    const registry = createNodeRegistry();
    const fields = (type: string, config: Record<string, unknown>) =>
      validateWorkflow(doc(type, config), registry).issues.map((issue) => issue.field);
    expect(fields('tasks.create', {})).toContain('config.title');
    expect(fields('tasks.create', { title: 'x', dueAt: 'tomorrow' })).toContain('config.dueAt');
    expect(fields('tickets.create', { title: 'x', priority: 'meh' })).toContain('config.priority');
  });

  it('fails clearly when a template yields a bad value', async () => {
    const { run, steps } = await h.runToEnd(doc('tasks.create', { title: 'x', dueAt: '{{ input.when }}' }), {
      when: 'someday',
    });
    expect(run.status).toBe('failed');
    expect(steps.get('make')!.error).toMatchObject({ code: 'config', field: 'config.dueAt' });
  });
});

describe('task and ticket lists', () => {
  it('lists the workspace’s items newest first; other workspaces see nothing', async () => {
    const store = new WorkItemStore(server.db.knex);
    await store.create(
      'task',
      team.workspaceId,
      { title: 'First', description: '', priority: 'low', data: {} },
      { key: 'a:1', runId: crypto.randomUUID() },
    );
    await store.create(
      'task',
      team.workspaceId,
      { title: 'Second', description: '', priority: 'urgent', data: {} },
      { key: 'a:2', runId: crypto.randomUUID() },
    );
    await store.create(
      'ticket',
      team.workspaceId,
      { title: 'Help', description: '', priority: 'normal', requester: 'x@example.com', data: {} },
      { key: 'a:3', runId: crypto.randomUUID() },
    );
    const tasks = await team.viewer.client.get<List<WorkItem>>(
      `/api/v1/workspaces/${team.workspaceId}/tasks`,
    );
    expect(tasks.status).toBe(200);
    expect(tasks.body.items.map((item) => item.title)).toEqual(['Second', 'First']);
    const tickets = await team.member.client.get<List<WorkItem>>(
      `/api/v1/workspaces/${team.workspaceId}/tickets?status=open`,
    );
    expect(tickets.body.items).toMatchObject([{ title: 'Help', requester: 'x@example.com' }]);
    expect((await team.outsider.client.get(`/api/v1/workspaces/${team.workspaceId}/tasks`)).status).toBe(404);
    const own = await team.outsider.client.get<List<WorkItem>>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/tasks`,
    );
    expect(own.body.items).toEqual([]);
  });

  it('lets a member close a task, naming the run that made it; viewers and outsiders cannot', async () => {
    const store = new WorkItemStore(server.db.knex);
    const runId = crypto.randomUUID();
    const { item } = await store.create(
      'task',
      team.workspaceId,
      { title: 'Call Ada back', description: '', priority: 'high', data: {} },
      { key: `close:${runId}`, runId },
    );
    const url = `/api/v1/workspaces/${team.workspaceId}/tasks/${item.id}`;
    expect((await team.viewer.client.patch(url, { status: 'done' })).status).toBe(403);
    expect((await team.outsider.client.patch(url, { status: 'done' })).status).toBe(404);
    const bad = await team.member.client.patch(url, { status: 'closed' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('body.status');
    const done = await team.member.client.patch<WorkItem>(url, { status: 'done' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: item.id, status: 'done', runId });
    const open = await team.viewer.client.get<List<WorkItem>>(
      `/api/v1/workspaces/${team.workspaceId}/tasks?status=open`,
    );
    expect(open.body.items.map((task) => task.id)).not.toContain(item.id);
    const other = await team.member.client.patch(
      `/api/v1/workspaces/${team.workspaceId}/tickets/${item.id}`,
      { status: 'closed' },
    );
    expect(other.status).toBe(404);
  });
});
