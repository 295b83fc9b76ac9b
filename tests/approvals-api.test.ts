import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;
let base: string;

function approvalWorkflow(config: Record<string, unknown>) {
  return {
    schemaVersion: 1,
    name: 'Discount approval',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'ask', type: 'flow.approval', config },
      {
        id: 'yes',
        type: 'code.javascript',
        config: { source: "return { outcome: 'approved', by: input.decidedBy }" },
      },
      {
        id: 'no',
        type: 'code.javascript',
        config: { source: "return { outcome: 'rejected', why: input.comment }" },
      },
      { id: 'late', type: 'code.javascript', config: { source: "return { outcome: 'timeout' }" } },
    ],
    edges: [
      { from: 'start', to: 'ask' },
      { from: 'ask', fromPort: 'approved', to: 'yes' },
      { from: 'ask', fromPort: 'rejected', to: 'no' },
      { from: 'ask', fromPort: 'timeout', to: 'late' },
    ],
  };
}

async function publish(document: unknown): Promise<string> {
  const client = team.member.client;
  const created = await client.post<Body>(`${base}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  expect((await client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(201);
  return created.body.id as string;
}

async function startRun(workflowId: string, input: unknown): Promise<string> {
  const response = await team.member.client.post<Body>(`${base}/workflows/${workflowId}/runs`, { input });
  expect(response.status, response.text).toBe(202);
  return response.body.id as string;
}

/** Poll the run through the API until it has one of these statuses. */
async function runUntil(runId: string, statuses: string[], timeoutMs = 10_000): Promise<Body> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await team.viewer.client.get<Body>(`${base}/runs/${runId}`);
    expect(response.status).toBe(200);
    if (statuses.includes(response.body.status) || Date.now() > until) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stepOf(run: Body, nodeId: string): Body {
  return run.steps.find((step: Body) => step.nodeId === nodeId);
}

/** Start a run of an approval workflow and find its pending approval. */
async function ask(
  workflowId: string,
  input: unknown = { discount: 20 },
): Promise<{ runId: string; approval: Body }> {
  const runId = await startRun(workflowId, input);
  const run = await runUntil(runId, ['waiting', 'failed']);
  expect(run.status, JSON.stringify(run.error)).toBe('waiting');
  const list = await team.viewer.client.get<Body>(`${base}/approvals`);
  expect(list.status).toBe(200);
  const approval = list.body.items.find((item: Body) => item.runId === runId);
  expect(approval).toBeDefined();
  return { runId, approval };
}

let plain: string;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  plain = await publish(
    approvalWorkflow({
      title: 'Discount of {{ input.discount }}%',
      description: 'For Acme',
      timeoutMs: 3_600_000,
    }),
  );
});
afterAll(async () => {
  await server?.close();
});

describe('flow.approval through the API', () => {
  it('suspends the run holding no executor and resumes it on approve, once', async () => {
    const { runId, approval } = await ask(plain);
    expect(approval).toMatchObject({
      title: 'Discount of 20%',
      description: 'For Acme',
      status: 'pending',
      nodeId: 'ask',
    });
    const row = await server.db.knex('runs').where({ id: runId }).first();
    expect(row).toMatchObject({ status: 'waiting', executor_id: null });

    const approve = `${base}/approvals/${approval.id}/approve`;
    // Viewers never decide; people of other workspaces do not even see it.
    const viewer = await team.viewer.client.post<Body>(approve, { comment: 'sure' });
    expect(viewer.status).toBe(403);
    expect(viewer.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await team.outsider.client.post<Body>(approve, {})).status).toBe(404);
    expect((await team.outsider.client.get<Body>(`${base}/approvals/${approval.id}`)).status).toBe(404);
    expect(
      (
        await team.outsider.client.get<Body>(
          `/api/v1/workspaces/${team.outsider.account.workspaceId}/approvals/${approval.id}`,
        )
      ).status,
    ).toBe(404);

    const decided = await team.member.client.post<Body>(approve, { comment: 'Within policy' });
    expect(decided.status, decided.text).toBe(200);
    expect(decided.body).toMatchObject({
      status: 'approved',
      decidedBy: team.member.account.userId,
      decidedByEmail: team.member.account.email,
      comment: 'Within policy',
    });
    expect(decided.body.decidedAt).toEqual(expect.any(String));

    const run = await runUntil(runId, ['succeeded', 'failed']);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(stepOf(run, 'ask').ports).toEqual(['approved']);
    expect(stepOf(run, 'yes').output).toEqual({ outcome: 'approved', by: team.member.account.email });
    expect(stepOf(run, 'no').status).toBe('skipped');

    // A second decision answers 409 and changes nothing.
    const again = await team.admin.client.post<Body>(`${base}/approvals/${approval.id}/reject`, {
      comment: 'no',
    });
    expect(again.status).toBe(409);
    const after = await team.viewer.client.get<Body>(`${base}/approvals/${approval.id}`);
    expect(after.body).toMatchObject({
      status: 'approved',
      comment: 'Within policy',
      decidedBy: team.member.account.userId,
    });
    const audit = await server.db
      .knex('audit_log')
      .where({ action: 'approval.approve', target_id: approval.id });
    expect(audit).toHaveLength(1);
  });

  it('resumes on reject with the comment', async () => {
    const { runId, approval } = await ask(plain);
    const rejected = await team.admin.client.post<Body>(`${base}/approvals/${approval.id}/reject`, {
      comment: 'Too deep',
    });
    expect(rejected.status).toBe(200);
    const run = await runUntil(runId, ['succeeded', 'failed']);
    expect(stepOf(run, 'ask').ports).toEqual(['rejected']);
    expect(stepOf(run, 'no').output).toEqual({ outcome: 'rejected', why: 'Too deep' });
    // No longer pending: it left the default list.
    const pending = await team.viewer.client.get<Body>(`${base}/approvals`);
    expect(pending.body.items.map((item: Body) => item.id)).not.toContain(approval.id);
  });

  it('goes to `timeout` when nobody decides in time, and refuses a late decision', async () => {
    const quick = await publish(approvalWorkflow({ title: 'Quick one', timeoutMs: 400 }));
    const { runId, approval } = await ask(quick);
    // The sweeper finds the due wait; the step marks the approval timed out.
    const run = await runUntil(runId, ['succeeded', 'failed']);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(stepOf(run, 'ask').ports).toEqual(['timeout']);
    expect(stepOf(run, 'late').output).toEqual({ outcome: 'timeout' });
    const late = await team.member.client.post<Body>(`${base}/approvals/${approval.id}/approve`, {});
    expect(late.status).toBe(409);
    expect((await team.viewer.client.get<Body>(`${base}/approvals/${approval.id}`)).body.status).toBe(
      'timed_out',
    );
  });

  it('lets only the named approvers decide', async () => {
    const named = await publish(
      approvalWorkflow({ title: 'Named', approvers: [team.admin.account.email.toUpperCase()] }),
    );
    const { runId, approval } = await ask(named);
    expect(approval.approvers).toEqual([team.admin.account.email]);
    const byMember = await team.member.client.post<Body>(`${base}/approvals/${approval.id}/approve`, {});
    expect(byMember.status).toBe(403);
    expect(byMember.body.detail).toMatch(/approvers/);
    const byAdmin = await team.admin.client.post<Body>(`${base}/approvals/${approval.id}/approve`, {});
    expect(byAdmin.status).toBe(200);
    expect((await runUntil(runId, ['succeeded', 'failed'])).status).toBe('succeeded');
  });

  it('validates the request and the node config, naming the field', async () => {
    const { runId, approval } = await ask(plain);
    const bad = await team.member.client.post<Body>(`${base}/approvals/${approval.id}/approve`, {
      comment: 42,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.invalidParams.map((param: Body) => param.name)).toContain('body.comment');
    await team.member.client.post<Body>(`${base}/runs/${runId}/cancel`);

    const result = validateWorkflow(
      approvalWorkflow({ title: '', approvers: ['not-an-email'], remindEveryMs: 10 }),
      createNodeRegistry(),
    );
    const fields = result.ok ? [] : result.issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining(['config.title', 'config.approvers[0]', 'config.remindEveryMs']),
    );
  });

  it('refuses a decision once the run is over (cancelled)', async () => {
    const { runId, approval } = await ask(plain);
    expect((await team.member.client.post<Body>(`${base}/runs/${runId}/cancel`)).status).toBe(202);
    const pending = await team.viewer.client.get<Body>(`${base}/approvals`);
    expect(pending.body.items.map((item: Body) => item.id)).not.toContain(approval.id);
    const response = await team.member.client.post<Body>(`${base}/approvals/${approval.id}/approve`, {});
    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/no longer waiting/);
  });
});

describe('flow.waitForEvent through the events API', () => {
  it('resumes on the matching posted event only', async () => {
    const workflowId = await publish({
      schemaVersion: 1,
      name: 'Wait for payment',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'wait',
          type: 'flow.waitForEvent',
          config: { event: 'invoice.paid', correlationKey: '{{ input.email }}' },
        },
      ],
      edges: [{ from: 'start', to: 'wait' }],
    });
    const runId = await startRun(workflowId, { email: 'ada@example.com' });
    expect((await runUntil(runId, ['waiting'])).status).toBe('waiting');
    const post = (id: string, email: string) =>
      team.member.client.post<Body>(`${base}/events`, { id, name: 'invoice.paid', data: { email } });
    expect((await post('evt-1', 'bob@example.com')).status).toBe(202);
    expect((await runUntil(runId, ['waiting'])).status).toBe('waiting');
    expect((await post('evt-2', 'ada@example.com')).status).toBe(202);
    const run = await runUntil(runId, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(stepOf(run, 'wait').output).toMatchObject({ id: 'evt-2', data: { email: 'ada@example.com' } });
  });
});
