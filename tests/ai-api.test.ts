import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';
import { startOpenAiStandIn, type OpenAiStandIn } from './helpers/openai-standin.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/**
 * The AI layer through the HTTP API: a webhook → ai.extract → respond workflow runs with no key
 * (provider local, tokens in the run), and unchanged once the workspace points at an
 * OpenAI-compatible endpoint; settings are read by members and written by admins; the plan's
 * ai_generations quota stops a step with the limit and the plan.
 */

let server: TestApi;
let standIn: OpenAiStandIn;

beforeAll(async () => {
  [server, standIn] = await Promise.all([startApi({ engine: true }), startOpenAiStandIn()]);
});
afterAll(async () => {
  await standIn?.close();
  await server?.close();
});

const leadIntake = (
  path: string,
  extract: Record<string, unknown> = {},
  responseMode: 'respondNode' | 'immediate' = 'respondNode',
) => ({
  schemaVersion: 1,
  name: 'AI lead intake',
  nodes: [
    { id: 'hook', type: 'trigger.webhook', config: { path, responseMode } },
    {
      id: 'extract',
      type: 'ai.extract',
      config: {
        text: '{{ input.body.message }}',
        fields: [
          { name: 'name', type: 'string', description: 'who writes', required: true },
          { name: 'email', type: 'email', required: true },
          { name: 'company', type: 'string' },
          { name: 'seats', type: 'integer', description: 'number of seats' },
          { name: 'budget', type: 'number' },
        ],
        ...extract,
      },
    },
    { id: 'reply', type: 'webhook.respond', config: { body: '{{ nodes.extract.output }}' } },
  ],
  edges: [
    { from: 'hook', to: 'extract' },
    { from: 'extract', to: 'reply' },
  ],
  settings: {},
});

const message =
  "Hi, I'm Sarah Connor, VP of Sales at Acme Robotics. We'd like 25 seats; our budget is $12,500. " +
  'Reach me at sarah.connor@acme-robotics.com.';

async function publish(team: Team, document: unknown): Promise<string> {
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  const created = await team.member.client.post<Body>(`${base}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const id = created.body.id as string;
  const published = await team.member.client.post<Body>(`${base}/workflows/${id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  expect((await team.member.client.post<Body>(`${base}/workflows/${id}/activate`)).status).toBe(200);
  return id;
}

function hook(team: Team, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}/hooks/${team.workspaceId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function latestRun(team: Team, workflowId: string): Promise<Body> {
  const base = `/api/v1/workspaces/${team.workspaceId}`;
  for (let i = 0; i < 100; i += 1) {
    const runs = await team.viewer.client.get<Body>(`${base}/runs?workflowId=${workflowId}`);
    const run = runs.body.items[0];
    if (run && ['succeeded', 'failed', 'cancelled'].includes(run.status))
      return (await team.viewer.client.get<Body>(`${base}/runs/${run.id}`)).body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the run did not finish');
}

const stepOf = (run: Body, nodeId: string): Body => run.steps.find((step: Body) => step.nodeId === nodeId);

describe('ai.extract in a published workflow', () => {
  it('runs with no key on the local provider and shows provider, model and tokens in the run', async () => {
    const team = await createTeam(server);
    const workflowId = await publish(team, leadIntake('lead-local'));
    const response = await hook(team, 'lead-local', { message });
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer.data).toEqual({
      name: 'Sarah Connor',
      email: 'sarah.connor@acme-robotics.com',
      company: 'Acme Robotics',
      seats: 25,
      budget: 12500,
    });
    expect(answer.missing).toEqual([]);
    const run = await latestRun(team, workflowId);
    expect(run.status).toBe('succeeded');
    const step = stepOf(run, 'extract');
    expect(step.output).toMatchObject({ provider: 'local', model: 'local-wink-1' });
    expect(step.output.usage.inputTokens).toBeGreaterThan(20);
    expect(step.output.usage.totalTokens).toBe(
      step.output.usage.inputTokens + step.output.usage.outputTokens,
    );
    expect(step.output.latencyMs).toBeGreaterThanOrEqual(0);

    // The workspace's AI usage: one generation and its tokens.
    const settings = await team.member.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/ai/settings`);
    expect(settings.body).toMatchObject({
      provider: 'local',
      source: 'builtin',
      usage: { generations: 1, calls: 1 },
    });
    expect(settings.body.usage.totalTokens).toBe(step.output.usage.totalTokens);
  });

  it('works unchanged with an OpenAI-compatible endpoint configured for the workspace', async () => {
    const team = await createTeam(server);
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    const workflowId = await publish(team, leadIntake('lead-remote'));
    // The stand-in listens on 127.0.0.1: an admin must allow it past the SSRF guard.
    expect(
      (await team.admin.client.put<Body>(`${base}/outbound-hosts`, { hosts: [`127.0.0.1:${standIn.port}`] }))
        .status,
    ).toBe(200);
    const credential = await team.admin.client.post<Body>(`${base}/credentials`, {
      name: 'Team LLM',
      type: 'openaiCompatible',
      data: { baseUrl: standIn.baseUrl, apiKey: 'sk-team-key-0001', model: 'gpt-test' },
    });
    expect(credential.status, credential.text).toBe(201);
    const saved = await team.admin.client.put<Body>(`${base}/ai/settings`, {
      provider: 'openai-compatible',
      credentialId: credential.body.id,
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body).toMatchObject({
      provider: 'openai-compatible',
      credentialId: credential.body.id,
      source: 'workspace',
    });

    standIn.reset();
    standIn.script({
      content:
        '```json\n{"name":"Sarah Connor","email":"sarah.connor@acme-robotics.com","company":"Acme Robotics","seats":25}\n```',
      usage: { prompt_tokens: 210, completion_tokens: 40 },
    });
    const response = await hook(team, 'lead-remote', { message });
    expect(response.status).toBe(200);
    expect((await response.json()).data).toMatchObject({ name: 'Sarah Connor', seats: 25 });
    expect(standIn.requests[0]?.headers.authorization).toBe('Bearer sk-team-key-0001');
    const step = stepOf(await latestRun(team, workflowId), 'extract');
    expect(step.output).toMatchObject({
      provider: 'openai-compatible',
      model: 'gpt-test-2026-01-01',
      usage: { inputTokens: 210, outputTokens: 40, totalTokens: 250 },
    });
    // The API key never shows in the run.
    expect(JSON.stringify(step)).not.toContain('sk-team-key-0001');

    // A node may still choose the local provider.
    const localWorkflow = await publish(team, leadIntake('lead-override', { provider: 'local' }));
    await hook(team, 'lead-override', { message });
    expect(stepOf(await latestRun(team, localWorkflow), 'extract').output.provider).toBe('local');
  });
});

describe('AI settings', () => {
  it('are read by members and written by admins only; viewers and outsiders are refused', async () => {
    const team = await createTeam(server);
    const path = `/api/v1/workspaces/${team.workspaceId}/ai/settings`;
    expect((await team.member.client.get(path)).status).toBe(200);
    expect((await team.viewer.client.get(path)).status).toBe(403);
    expect((await team.outsider.client.get(path)).status).toBe(404);
    expect((await team.member.client.put(path, { provider: 'local' })).status).toBe(403);
    expect((await team.admin.client.put(path, { provider: 'local' })).status).toBe(200);
    const audit = await server.db
      .knex('audit_log')
      .where({ workspace_id: team.workspaceId, action: 'ai.settings.update' });
    expect(audit).toHaveLength(1);
  });

  it("refuses another workspace's credential, a credential of the wrong type and a bad provider, naming the field", async () => {
    const team = await createTeam(server);
    const path = `/api/v1/workspaces/${team.workspaceId}/ai/settings`;
    const foreign = await team.outsider.client.post<Body>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/credentials`,
      {
        name: 'Their LLM',
        type: 'openaiCompatible',
        data: { baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-theirs' },
      },
    );
    expect(foreign.status).toBe(201);
    const refused = await team.admin.client.put(path, {
      provider: 'openai-compatible',
      credentialId: foreign.body.id,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.invalidParams?.[0]?.name).toBe('body.credentialId');

    const smtp = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/credentials`, {
      name: 'Mail',
      type: 'smtp',
      data: { host: 'smtp.example.com' },
    });
    const wrongType = await team.admin.client.put(path, {
      provider: 'openai-compatible',
      credentialId: smtp.body.id,
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.detail).toMatch(/smtp credential/);

    const noEndpoint = await team.admin.client.put(path, { provider: 'openai-compatible' });
    expect(noEndpoint.status).toBe(400);
    expect((await team.admin.client.put(path, { provider: 'gpt-9' })).status).toBe(400);
  });

  it("refuses a node that names another workspace's credential, and never reaches it", async () => {
    const team = await createTeam(server);
    const foreign = await team.outsider.client.post<Body>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/credentials`,
      {
        name: 'Their LLM',
        type: 'openaiCompatible',
        data: { baseUrl: standIn.baseUrl, apiKey: 'sk-theirs-0002' },
      },
    );
    standIn.reset();
    const document = leadIntake(
      'lead-foreign',
      {
        provider: 'openai-compatible',
        credentialId: foreign.body.id,
        model: 'm',
      },
      'immediate',
    );
    // Publish refuses it, naming the field (issue 18); the run-time check behind it is in
    // tests/credentials-e2e.test.ts ("another workspace's run cannot use the credential").
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    const created = await team.member.client.post<Body>(`${base}/workflows`, document);
    const refused = await team.member.client.post<Body>(`${base}/workflows/${created.body.id}/publish`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.invalidParams).toContainEqual(
      expect.objectContaining({ name: 'nodes.extract.config.credentialId' }),
    );
    expect((await hook(team, 'lead-foreign', { message })).status).toBe(404);
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('metering and hostile input', () => {
  it("lets Free's 50 AI generations through, then fails the step naming the limit and the plan", async () => {
    const team = await createTeam(server);
    const billing = billingFor(server.db.knex);
    await billing.accounts.setPlan(team.workspaceId, { planId: 'free' });
    await billing.usage.record(team.workspaceId, {
      meter: 'ai_generations',
      quantity: 49,
      idempotencyKey: 'earlier-49',
    });
    const document = leadIntake('lead-quota', {}, 'immediate');
    const workflowId = await publish(team, document);

    expect((await hook(team, 'lead-quota', { message })).status).toBe(202);
    expect((await latestRun(team, workflowId)).status).toBe('succeeded');

    expect((await hook(team, 'lead-quota', { message: `${message} Again.` })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await latestRun(team, workflowId);
    expect(refused.status).toBe('failed');
    expect(stepOf(refused, 'extract').error).toMatchObject({
      code: 'quota_exceeded',
      message: 'Free plan allows 50 AI generations per month; upgrade to Starter for 500',
    });
    const usage = await billing.usage.totals(team.workspaceId);
    expect(usage.ai_generations).toBe(50);
  });

  it('fails a step whose text is past the input cap with a clear error; hostile characters never reach a model', async () => {
    const team = await createTeam(server);
    const document = leadIntake('lead-hostile', { fields: [{ name: 'email', type: 'email' }] }, 'immediate');
    const workflowId = await publish(team, document);
    expect((await hook(team, 'lead-hostile', { message: `${'spam '.repeat(25_000)} x@y.io` })).status).toBe(
      202,
    );
    const big = await latestRun(team, workflowId);
    expect(stepOf(big, 'extract').error).toMatchObject({ code: 'ai_input_too_large' });
    expect(stepOf(big, 'extract').error.message).toMatch(
      /125,\d{3} characters; AI calls take at most 100,000/,
    );

    // NUL and lone surrogates are refused at the door (the service strips them too: ai-openai.test.ts).
    const weird = await hook(team, 'lead-hostile', { message: 'mail me: x@y.io \u0000 \ud800' });
    expect(weird.status).toBe(400);
    const html = await hook(team, 'lead-hostile', { message: 'mail me: x@y.io <script>alert(1)</script>' });
    expect(html.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const run = await latestRun(team, workflowId);
    expect(stepOf(run, 'extract').output.data).toEqual({ email: 'x@y.io' });
  });
});
