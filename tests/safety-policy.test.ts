import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

/**
 * The AI Safety Console through the HTTP API (issue 12, "Done means"): a webhook → safety.pii →
 * email.send workflow publishes and runs with the redaction in the run; an admin pins "PII before
 * email"; a member's workflow without it is refused at publish naming node and path, and blocked at
 * run time even when it was published before the policy; members cannot change the policy.
 */

interface Step {
  nodeId: string;
  status: string;
  ports: string[];
  output: Record<string, unknown> | null;
  error: { code?: string; message: string } | null;
}
interface Run {
  id: string;
  status: string;
  steps: Step[];
}

let server: TestApi;
let team: Team;
let smtp: SMTPServer;
let smtpPort = 0;
const received: string[] = [];

const base = () => `/api/v1/workspaces/${team.workspaceId}`;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  // The deployment's SMTP server (SMTP_URL), allow-listed past the SSRF guard for the loopback stand-in.
  process.env.SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
  process.env.REVFLOW_SSRF_ALLOW_HOSTS = `127.0.0.1:${smtpPort}`;
  server = await startApi({ engine: true });
  team = await createTeam(server);
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

function emailNode(text: string) {
  return {
    id: 'email',
    type: 'email.send',
    config: { from: 'sales@revflow.example', to: 'rep@revflow.example', subject: 'New lead', text },
  };
}

function guardedDocument(path: string) {
  return {
    schemaVersion: 1,
    name: `Lead to rep (${path})`,
    nodes: [
      { id: 'hook', type: 'trigger.webhook', config: { path } },
      { id: 'pii', type: 'safety.pii', config: { text: '{{ input.body.message }}' } },
      emailNode('{{ input.text }}'),
    ],
    edges: [
      { from: 'hook', to: 'pii' },
      { from: 'pii', fromPort: 'pass', to: 'email' },
    ],
  };
}

function unguardedDocument(path: string) {
  return {
    schemaVersion: 1,
    name: `Raw lead to rep (${path})`,
    nodes: [{ id: 'hook', type: 'trigger.webhook', config: { path } }, emailNode('{{ input.body.message }}')],
    edges: [{ from: 'hook', to: 'email' }],
  };
}

async function createAndPublish(client: Team['member']['client'], document: object) {
  const created = await client.post<{ id: string }>(`${base()}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const published = await client.post(`${base()}/workflows/${created.body.id}/publish`, {});
  return { id: created.body.id, published };
}

async function hook(path: string, body: unknown): Promise<Run> {
  const response = await fetch(`${server.baseUrl}/hooks/${team.workspaceId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  const { runId } = (await response.json()) as { runId: string };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await team.member.client.get<Run>(`${base()}/runs/${runId}`);
    if (['succeeded', 'failed'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run still ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const message =
  'Hi, I am Dana Whitfield. Reach me at dana.whitfield@example.org or +1 415 555 2671 about the renewal.';

describe('the safety policy, end to end', () => {
  it('a guarded workflow publishes, runs, and the run shows the redaction; the safety log keeps counts only', async () => {
    const { id, published } = await createAndPublish(team.member.client, guardedDocument('lead-guarded'));
    expect(published.status, published.text).toBe(201);
    expect((await team.member.client.post(`${base()}/workflows/${id}/activate`)).status).toBe(200);
    const run = await hook('lead-guarded', { message });
    expect(run.status, JSON.stringify(run.steps)).toBe('succeeded');
    const pii = run.steps.find((s) => s.nodeId === 'pii')!;
    expect(pii.ports).toEqual(['pass']);
    expect(pii.output?.text).toBe('Hi, I am [PERSON]. Reach me at [EMAIL] or [PHONE] about the renewal.');
    expect(pii.output?.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'email', action: 'redact' }),
        expect.objectContaining({ type: 'phone', action: 'redact' }),
      ]),
    );
    expect(received.at(-1)).toContain('Reach me at [EMAIL] or [PHONE]');
    expect(received.at(-1)).not.toContain('dana.whitfield@example.org');

    const log = await team.member.client.get<{ items: Array<Record<string, unknown>> }>(
      `${base()}/safety/decisions?runId=${run.id}`,
    );
    expect(log.status).toBe(200);
    expect(log.body.items[0]).toMatchObject({ check: 'pii', verdict: 'pass', nodeId: 'pii' });
    expect(Object.keys(log.body.items[0]!.entities as object)).toEqual(
      expect.arrayContaining(['email', 'phone', 'person']),
    );
    expect(log.text).not.toContain('dana.whitfield');
    expect(log.text).not.toContain('555');
  });

  it('webhook → ai.extract → safety.pii → email.send with no API key: provider, tokens and the redaction are in the run', async () => {
    const document = {
      schemaVersion: 1,
      name: 'Extract, scrub, notify',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'lead-ai' } },
        {
          id: 'extract',
          type: 'ai.extract',
          config: {
            text: '{{ input.body.message }}',
            fields: [
              { name: 'name', type: 'string', description: 'the person writing' },
              { name: 'email', type: 'email', description: 'their email address' },
            ],
          },
        },
        { id: 'pii', type: 'safety.pii', config: {} },
        emailNode('New lead: {{ input.data.data.name }} <{{ input.data.data.email }}>'),
      ],
      edges: [
        { from: 'hook', to: 'extract' },
        { from: 'extract', to: 'pii' },
        { from: 'pii', fromPort: 'pass', to: 'email' },
      ],
    };
    const { id, published } = await createAndPublish(team.member.client, document);
    expect(published.status, published.text).toBe(201);
    expect((await team.member.client.post(`${base()}/workflows/${id}/activate`)).status).toBe(200);
    const run = await hook('lead-ai', { message });
    expect(run.status, JSON.stringify(run.steps)).toBe('succeeded');
    const extract = run.steps.find((s) => s.nodeId === 'extract')!;
    expect(extract.output).toMatchObject({
      provider: 'local',
      data: { email: 'dana.whitfield@example.org' },
    });
    expect((extract.output?.usage as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
    const pii = run.steps.find((s) => s.nodeId === 'pii')!;
    expect(JSON.stringify(pii.output?.data)).toContain('[EMAIL]');
    expect(JSON.stringify(pii.output?.data)).not.toContain('dana.whitfield@example.org');
    expect(received.at(-1)).toContain('<[EMAIL]>');
  });

  it('an admin pins "PII before email": a member’s unguarded workflow is refused at publish, naming node and path', async () => {
    // Published BEFORE the policy, and active.
    const early = await createAndPublish(team.member.client, unguardedDocument('lead-raw-early'));
    expect(early.published.status, early.published.text).toBe(201);
    expect((await team.member.client.post(`${base()}/workflows/${early.id}/activate`)).status).toBe(200);

    const denied = await team.member.client.put(`${base()}/safety/policy`, {
      rules: { email: [{ type: 'safety.pii' }] },
    });
    expect(denied.status).toBe(403);

    const pinned = await team.admin.client.put<{
      version: number;
      affected: Array<{ workflowId: string; violations: unknown[] }>;
    }>(`${base()}/safety/policy`, { rules: { email: [{ type: 'safety.pii', maxThreshold: 0.6 }] } });
    expect(pinned.status, pinned.text).toBe(200);
    // The policy lists the active workflow it now stops from sending.
    expect(pinned.body.affected.map((a) => a.workflowId)).toContain(early.id);
    expect(pinned.body.affected.find((a) => a.workflowId === early.id)?.violations).toEqual([
      { nodeId: 'email', kind: 'email', missing: 'safety.pii', path: ['hook', 'email'] },
    ]);
    const read = await team.member.client.get<{ policy: unknown }>(`${base()}/safety/policy`);
    expect(read.body.policy).toEqual({ rules: { email: [{ type: 'safety.pii', maxThreshold: 0.6 }] } });

    const late = await createAndPublish(team.member.client, unguardedDocument('lead-raw-late'));
    expect(late.published.status).toBe(400);
    const problem = late.published.body as unknown as {
      code: string;
      detail: string;
      issues: Array<{ nodeId: string; nodeIds: string[]; code: string }>;
    };
    expect(problem.code).toBe('safety_policy');
    expect(problem.detail).toContain('"email"');
    expect(problem.detail).toContain('hook → email');
    expect(problem.issues[0]).toMatchObject({
      nodeId: 'email',
      nodeIds: ['hook', 'email'],
      code: 'safety_policy',
    });

    // Routed around the guardrail through its fail port: still refused.
    const sneaky = guardedDocument('lead-sneaky');
    sneaky.edges.push({ from: 'pii', fromPort: 'fail', to: 'email' });
    expect((await createAndPublish(team.member.client, sneaky)).published.status).toBe(400);
    // A guardrail looser than the policy's minimum does not count.
    const loose = guardedDocument('lead-loose');
    (loose.nodes[1]!.config as Record<string, unknown>).threshold = 0.9;
    expect((await createAndPublish(team.member.client, loose)).published.status).toBe(400);

    // At run time the version published before the policy is blocked before it sends.
    const sentBefore = received.length;
    const run = await hook('lead-raw-early', { message });
    expect(run.status).toBe('failed');
    const email = run.steps.find((s) => s.nodeId === 'email')!;
    expect(email.error?.code).toBe('safety_policy');
    expect(email.error?.message).toContain('hook → email');
    expect(received.length).toBe(sentBefore);
    const blocks = await team.admin.client.get<{ items: Array<Record<string, unknown>> }>(
      `${base()}/safety/decisions?verdict=fail&check=policy`,
    );
    expect(blocks.body.items[0]).toMatchObject({ runId: run.id, nodeId: 'email', verdict: 'fail' });
    // ...and announces it as the platform event `safety.blocked`, which trigger.event workflows can react to.
    const event = await server.db
      .knex('billing_outbox')
      .where({
        workspace_id: team.workspaceId,
        name: 'safety.blocked',
        event_id: `safety.blocked:${run.id}:email`,
      })
      .first<{ data: Record<string, unknown> } | undefined>();
    expect(event?.data).toMatchObject({ runId: run.id, nodeId: 'email', check: 'policy' });

    // The guarded workflow still runs.
    expect((await hook('lead-guarded', { message })).status).toBe('succeeded');

    // AI generation is an outbound kind too: requiring a prompt-injection check before AI steps
    // lists the active extract workflow, whose ai.extract step is now stopped.
    const aiPolicy = await team.admin.client.put<{
      affected: Array<{ name: string; violations: Array<{ nodeId: string; path: string[] }> }>;
    }>(`${base()}/safety/policy`, {
      rules: {
        email: [{ type: 'safety.pii', maxThreshold: 0.6 }],
        ai: [{ type: 'safety.promptInjection', minSensitivity: 'medium' }],
      },
    });
    expect(aiPolicy.body.affected.find((a) => a.name === 'Extract, scrub, notify')?.violations).toEqual([
      expect.objectContaining({ nodeId: 'extract', path: ['hook', 'extract'] }),
    ]);
    const aiRun = await hook('lead-ai', { message });
    expect(aiRun.steps.find((s) => s.nodeId === 'extract')?.error?.code).toBe('safety_policy');
    await team.admin.client.put(`${base()}/safety/policy`, {
      rules: { email: [{ type: 'safety.pii', maxThreshold: 0.6 }] },
    });

    // The policy changes are in the audit log, and the chain verifies.
    const auditLog = await team.admin.client.get<{ items: Array<{ action: string }> }>(
      `${base()}/audit-log?action=safety.policy_update`,
    );
    expect(auditLog.body.items).toHaveLength(3);
    const chain = await team.admin.client.get<{ ok: boolean; entries: number }>(`${base()}/audit-log/verify`);
    expect(chain.body.ok).toBe(true);
    expect(chain.body.entries).toBeGreaterThan(1);
  });

  it('refuses other workspaces, lower plans and bad input', async () => {
    const outsider = team.outsider;
    expect((await outsider.client.get(`${base()}/safety/policy`)).status).toBe(404);
    expect((await outsider.client.put(`${base()}/safety/policy`, { rules: {} })).status).toBe(404);
    expect((await outsider.client.get(`${base()}/safety/decisions`)).status).toBe(404);
    expect((await team.viewer.client.get(`${base()}/safety/policy`)).status).toBe(403);
    // The outsider's own workspace is on the trial (Professional): the console says upgrade.
    const own = `/api/v1/workspaces/${outsider.account.workspaceId}`;
    const status = await outsider.client.get<{ enabled: boolean; requiredPlan: string }>(
      `${own}/safety/status`,
    );
    expect(status.body).toMatchObject({ enabled: false, requiredPlan: 'enterprise' });
    expect((await outsider.client.get(`${own}/safety/policy`)).status).toBe(402);
    const bad = await team.admin.client.put(`${base()}/safety/policy`, {
      rules: { email: [{ type: 'safety.nope' }], fax: [] },
    });
    expect(bad.status).toBe(400);
    const hostile = await team.member.client.get(
      `${base()}/safety/decisions?q=${encodeURIComponent("%'\u0000<script>")}`,
    );
    expect([200, 400]).toContain(hostile.status);
  });

  it('exports the safety log as CSV and JSON with no raw values', async () => {
    const csv = await team.member.client.get(`${base()}/safety/decisions/export?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\n')[0]).toContain('verdict');
    expect(csv.text).toMatch(/email:\d/);
    expect(csv.text).not.toContain('dana.whitfield');
    const json = await team.member.client.get<{ items: unknown[] }>(
      `${base()}/safety/decisions/export?format=json`,
    );
    expect(json.body.items.length).toBeGreaterThan(1);
    const stats = await team.member.client.get<{
      totals: { checks: number; blocks: number };
      byEntity: Array<{ entity: string }>;
    }>(`${base()}/safety/stats?days=7`);
    expect(stats.body.totals.blocks).toBeGreaterThanOrEqual(1);
    expect(stats.body.byEntity.map((e) => e.entity)).toContain('email');
    // Search by entity and words; a decision of this workspace is invisible from another one.
    const byEntity = await team.member.client.get<{
      items: Array<{ id: string; entities: Record<string, number> }>;
    }>(`${base()}/safety/decisions?entity=phone`);
    expect(byEntity.body.items.length).toBeGreaterThan(0);
    expect(byEntity.body.items.every((d) => d.entities.phone! > 0)).toBe(true);
    const words = await team.member.client.get<{ items: Array<{ check: string }> }>(
      `${base()}/safety/decisions?q=hook%20%E2%86%92%20email`,
    );
    expect(words.body.items.map((d) => d.check)).toEqual(expect.arrayContaining(['policy']));
    const theirs = `/api/v1/workspaces/${team.outsider.account.workspaceId}`;
    const leaked = await team.outsider.client.get(
      `${theirs}/safety/decisions?runId=${byEntity.body.items[0]!.id}`,
    );
    expect(leaked.status).toBe(402);
    const other = await team.admin.client.get<{ items: unknown[] }>(
      `${base()}/safety/decisions?workflowId=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
    );
    expect(other.body.items).toEqual([]);
    expect((await team.member.client.get(`${base()}/safety/decisions?limit=100000`)).status).toBe(400);
  });
});
