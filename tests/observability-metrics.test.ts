import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../api/http/logging.js';
import { BoundedLabel } from '../api/observability/metrics.js';
import { createTeam, startApi, type TestApi } from './helpers/api.js';
import { finishedRun, hook, metric, publish, scrape, w1, type Body } from './helpers/observability.js';

/** Issue 19: Prometheus metrics that move under load, run and step log lines, quiet request logs. */

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    done();
  },
});
const logged = (): Body[] => lines.map((line) => JSON.parse(line));

let server: TestApi;

beforeAll(async () => {
  server = await startApi({ engine: true, logger: createLogger('info', sink) });
});

afterAll(async () => {
  await server?.close();
});

describe('GET /metrics under load', () => {
  it('counts runs started and finished per workflow, step durations per node type and webhook answers', async () => {
    const team = await createTeam(server);
    const workflowId = await publish(team, w1('metrics-w1'));
    const before = await scrape(server);
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => hook(server, team, 'metrics-w1', { qty: 3, price: 99 })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);

    expect(delta('revflow_runs_started_total', { workflow: workflowId })).toBe(30);
    expect(delta('revflow_runs_finished_total', { workflow: workflowId, status: 'succeeded' })).toBe(30);
    expect(delta('revflow_run_duration_seconds_count', { status: 'succeeded' })).toBe(30);
    for (const nodeType of ['trigger.webhook', 'data.set', 'logic.if', 'code.javascript', 'webhook.respond']) {
      expect(delta('revflow_step_duration_seconds_count', { node_type: nodeType }), nodeType).toBe(30);
      expect(delta('revflow_steps_total', { node_type: nodeType, status: 'succeeded' }), nodeType).toBe(30);
    }
    expect(delta('revflow_webhook_responses_total', { source: 'workflow', status: '200' })).toBe(30);
    // Scrape-time gauges are there (their values depend on the moment).
    expect(after.has('revflow_runs_executing')).toBe(true);
    expect(after.has('revflow_dispatch_pending')).toBe(true);
    expect(after.has('revflow_runs_unfinished{status="waiting"}')).toBe(true);
  });

  it('counts a sandbox CPU timeout, the failed step, and a 404 webhook answer', async () => {
    const team = await createTeam(server);
    await publish(team, {
      schemaVersion: 1,
      name: 'Spins forever',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'spin' } },
        { id: 'spin', type: 'code.javascript', config: { source: 'while (true) {}' }, timeoutMs: 3000 },
      ],
      edges: [{ from: 'hook', to: 'spin' }],
      settings: { sandbox: { cpuTimeoutMs: 50 } },
    });
    const before = await scrape(server);
    const accepted = await hook(server, team, 'spin', {});
    expect(accepted.status).toBe(202);
    const run = await finishedRun(team, ((await accepted.json())).runId as string);
    expect(run.status).toBe('failed');
    expect((await hook(server, team, 'no-such-path', {})).status).toBe(404);
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);
    expect(delta('revflow_sandbox_kills_total', { reason: 'timeout' })).toBe(1);
    expect(delta('revflow_steps_total', { node_type: 'code.javascript', status: 'failed' })).toBe(1);
    expect(delta('revflow_step_attempt_failures_total', { code: 'timeout' })).toBe(1);
    expect(delta('revflow_runs_finished_total', { status: 'failed' })).toBe(1);
    expect(delta('revflow_webhook_responses_total', { source: 'workflow', status: '404' })).toBe(1);
  });

  it('counts Stripe webhook answers by status even when Stripe is not configured', async () => {
    const before = await scrape(server);
    const response = await fetch(`${server.baseUrl}/hooks/stripe`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    const after = await scrape(server);
    expect(
      metric(after, 'revflow_webhook_responses_total', { source: 'stripe', status: '503' }) -
        metric(before, 'revflow_webhook_responses_total', { source: 'stripe', status: '503' }),
    ).toBe(1);
  });

  it('keeps the workflow label bounded: past the limit every workflow is "other"', () => {
    const label = new BoundedLabel(2);
    expect(['a', 'b', 'c', 'a', 'd'].map((value) => label.of(value))).toEqual(['a', 'b', 'other', 'a', 'other']);
  });
});

describe('structured logs', () => {
  it('writes one line when a run starts and ends, with id, workflow, status and duration, and one per failed step', async () => {
    const team = await createTeam(server);
    const workflowId = await publish(team, {
      schemaVersion: 1,
      name: 'Throws',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'throws' } },
        { id: 'boom', type: 'code.javascript', config: { source: 'throw new Error("no <b>luck</b>")' } },
      ],
      edges: [{ from: 'hook', to: 'boom' }],
    });
    const accepted = await hook(server, team, 'throws', {});
    const runId = ((await accepted.json())).runId as string;
    await finishedRun(team, runId);
    const mine = logged().filter((line) => line.runId === runId);
    const started = mine.filter((line) => line.event === 'run.started');
    const finished = mine.filter((line) => line.event === 'run.finished');
    const failedSteps = mine.filter((line) => line.event === 'step.failed');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ workflowId, workspaceId: team.workspaceId, resumed: false, level: 30 });
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ workflowId, status: 'failed', level: 40 });
    expect(typeof finished[0].durationMs).toBe('number');
    expect(failedSteps).toHaveLength(1);
    expect(failedSteps[0]).toMatchObject({ nodeId: 'boom', nodeType: 'code.javascript', attempts: 1 });
    expect(failedSteps[0].error.message).toContain('no <b>luck</b>');
  });

  it('logs requests at info without their headers', async () => {
    const team = await createTeam(server);
    const marker = `marker-${Date.now()}`;
    const response = await team.viewer.client.get(`/api/v1/workspaces/${team.workspaceId}/runs?x=${marker}`, {
      headers: { 'x-custom-header': 'header-value-that-must-not-be-logged' },
    });
    expect(response.status).toBe(200);
    const line = logged().find((entry) => typeof entry.req?.url === 'string' && entry.req.url.includes(marker));
    expect(line).toBeDefined();
    expect(line.req).toMatchObject({ method: 'GET' });
    expect(line.req.headers).toBeUndefined();
    expect(line.res).toEqual({ statusCode: 200 });
    expect(lines.join('\n')).not.toContain('header-value-that-must-not-be-logged');
  });
});

describe('the run API', () => {
  it('says which executor ran a run: host and pid', async () => {
    const team = await createTeam(server);
    await publish(team, w1('executor-w1'));
    const answer = await hook(server, team, 'executor-w1', { qty: 3, price: 99 });
    expect(answer.status).toBe(200);
    const runs = await team.viewer.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/runs`);
    const run = await finishedRun(team, runs.body.items[0].id as string);
    expect(run.executor).toMatchObject({ pid: process.pid });
    expect(run.executor.id).toMatch(new RegExp(`:${process.pid}:`));
    expect(typeof run.executor.host).toBe('string');
  });
});
