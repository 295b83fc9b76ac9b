import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { invalidTemplates, templateCatalog } from '../api/templates/catalog.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;
let base: string;

/** An SMTP sink, so templates that send mail can be published and run (SMTP_URL). */
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, _session, callback) => {
    stream.on('data', () => undefined);
    stream.on('end', () => callback());
  },
});
const savedSmtp = process.env.SMTP_URL;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  // Some templates use plan-gated nodes; the gallery is for every plan, running them here needs the top one.
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  if (savedSmtp === undefined) delete process.env.SMTP_URL;
  else process.env.SMTP_URL = savedSmtp;
});

const catalog = templateCatalog();

/** A plausible start for a template: what its trigger would emit. */
async function sampleInput(document: Body): Promise<unknown> {
  const trigger = document.nodes.find((node: Body) => /^trigger\.|^voice\.transcript$/.test(node.type));
  const data = {
    email: 'ada@example.com',
    owners: ['owner@example.com'],
    maxUsagePct: 82,
    usagePct: 82,
    daysLeft: 3,
    trialEndsAt: '2030-01-01T00:00:00Z',
    score: 3,
    comment: 'Too slow',
    accountName: 'Acme',
    title: 'Release 2.0',
    summary: 'New things',
    ownerEmail: 'owner@example.com',
    workspaceName: 'Acme',
    workspaceId: team.workspaceId,
    reasons: ['usage down 40%'],
    recipients: ['team@example.com'],
    classification: 'positive',
    campaignId: null,
    variant: 'A',
    url: 'https://example.com/releases/2',
  };
  if (trigger?.type === 'trigger.event')
    return { id: 'evt-1', name: trigger.config.event, data, occurredAt: '2030-01-01T00:00:00Z' };
  if (trigger?.type === 'trigger.webhook')
    return {
      method: 'POST',
      path: trigger.config.path,
      headers: {},
      query: {},
      body: { employees: 250, email: 'ada@example.com' },
    };
  if (trigger?.type === 'voice.transcript') {
    const call = await team.owner.client.post<Body>(`${base}/calls`, {
      title: 'Renewal call',
      transcript: 'Ada: We need the security review by Friday.\nBo: I will send the SOC 2 report tomorrow.',
    });
    expect(call.status).toBe(201);
    return { callId: call.body.id ?? call.body.call?.id };
  }
  return trigger?.config?.sampleInput ?? { email: 'ada@example.com' };
}

async function untilSettled(runId: string): Promise<Body> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await team.member.client.get<Body>(`${base}/runs/${runId}`);
    if (['succeeded', 'failed', 'waiting', 'cancelled', 'timed_out'].includes(response.body.status))
      return response.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} stayed ${response.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('GET /api/v1/templates', () => {
  it('lists every template with its category, description, node types and triggers', async () => {
    const response = await team.viewer.client.get<Body>('/api/v1/templates');
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBe(catalog.length);
    const trial = response.body.items.find((item: Body) => item.id === 'billing-trial-ending');
    expect(trial).toMatchObject({
      category: 'billing',
      triggers: ['trigger.event'],
      nodeTypes: expect.arrayContaining(['flow.approval', 'billing.changePlan', 'email.send']),
    });
    expect(trial.description.length).toBeGreaterThan(20);
    expect(trial.document.schemaVersion).toBe(1);
    const categories = response.body.categories.map((category: Body) => category.id);
    expect(categories).toEqual(
      expect.arrayContaining(['billing', 'feedback', 'growth', 'outbound', 'sales', 'voice']),
    );
    expect(response.body.items.find((item: Body) => item.id === 'reply-to-meeting')).toMatchObject({
      category: 'sales',
      triggers: ['trigger.event'],
    });
    expect(response.body.categories.reduce((sum: number, c: Body) => sum + c.count, 0)).toBe(catalog.length);
  });

  it('has one "Trial ending" template, not two near-duplicates, and no blank canvas', async () => {
    const response = await team.viewer.client.get<Body>('/api/v1/templates');
    const titles = response.body.items.map((item: Body) => item.title as string);
    expect(titles.filter((title: string) => /trial ending/i.test(title))).toEqual([
      'Trial ending — nudge or upsell',
    ]);
    expect(response.body.items.some((item: Body) => item.id === 'blank' || item.id === 'trial-ending')).toBe(
      false,
    );
  });

  it('filters by category and by node type, and serves one template by id', async () => {
    const billing = await team.viewer.client.get<Body>('/api/v1/templates?category=billing');
    expect(billing.body.items.length).toBeGreaterThan(0);
    expect(billing.body.items.every((item: Body) => item.category === 'billing')).toBe(true);
    const switches = await team.viewer.client.get<Body>('/api/v1/templates?nodeType=logic.switch');
    expect(switches.body.items.map((item: Body) => item.id)).toContain('lead-routing');
    const one = await team.viewer.client.get<Body>('/api/v1/templates/lead-routing');
    expect(one.status).toBe(200);
    expect(one.body.title).toBe('Route inbound leads by size');
  });

  it('answers 404 for an unknown template, 400 for hostile filters and 401 without a session', async () => {
    expect((await team.viewer.client.get<Body>('/api/v1/templates/nope')).status).toBe(404);
    expect((await team.viewer.client.get<Body>(`/api/v1/templates?category=${'x'.repeat(100)}`)).status).toBe(
      400,
    );
    expect((await team.viewer.client.get<Body>('/api/v1/templates?category=a%00b')).status).toBe(400);
    expect((await server.client().get<Body>('/api/v1/templates')).status).toBe(401);
  });
});

describe('every template', () => {
  it('validates against the node registry', () => {
    expect(invalidTemplates(catalog, createNodeRegistry())).toEqual([]);
  });

  it.each(catalog.map((template) => [template.id, template] as const))(
    '"%s" can be created, published and run without failing',
    async (_id, template) => {
      const created = await team.owner.client.post<Body>(`${base}/workflows`, template.document);
      expect(created.status).toBe(201);
      const published = await team.owner.client.post<Body>(
        `${base}/workflows/${created.body.id}/publish`,
        {},
      );
      expect(`${published.status} ${published.body.detail ?? ''}`).toMatch(/^201/);
      const started = await team.owner.client.post<Body>(`${base}/workflows/${created.body.id}/runs`, {
        input: await sampleInput(template.document),
      });
      expect(started.status).toBe(202);
      const run = await untilSettled(started.body.id);
      // The status with the error, so a failure says why.
      expect(`${run.status}: ${run.error?.message ?? ''}`).toMatch(/^(succeeded|waiting): /);
    },
  );
});
