import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { billingFor } from '../api/billing/hub.js';
import { createNodeServices } from '../api/services.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';

/** A real SMTP server on 127.0.0.1 that keeps the Message-ID of every message it accepted. */
class SmtpSink {
  readonly messageIds: string[] = [];
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream: SMTPServerDataStream, _session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.messageIds.push(/^message-id:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? '');
        callback();
      });
    },
  });
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let smtp: SmtpSink;
let h: Harness;
const registry = createNodeRegistry();

function oneNode(type: string, config: Record<string, unknown>): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: `${type} test`,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'step', type, config },
    ],
    edges: [{ from: 'start', to: 'step' }],
  };
}

function badFields(type: string, config: Record<string, unknown>): string[] {
  const result = validateWorkflow(oneNode(type, config), registry);
  expect(result.ok).toBe(false);
  return result.issues.map((issue) => issue.field ?? '');
}

beforeAll(async () => {
  smtp = new SmtpSink();
  await smtp.start();
  h = await createHarness({ staleAfterMs: 1000 });
  Object.assign(
    h.services,
    createNodeServices({
      knex: h.db.knex,
      secrets: h.secrets,
      env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` },
    }),
  );
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe('email metering', () => {
  it('sends 100 emails on Free, then fails the 101st with the limit and the plan', async () => {
    const ws = await h.db
      .knex('workspaces')
      .insert({ name: 'Free mailer', slug: `free-${Date.now()}` })
      .returning('id');
    const workspaceId = (ws[0] as { id: string }).id;
    const billing = billingFor(h.db.knex);
    await billing.accounts.setPlan(workspaceId, { planId: 'free' });
    const document = oneNode('email.send', {
      from: 'Revflow <noreply@revflow.example>',
      to: 'lead-{{ input.n }}@example.com',
      subject: 'Hello {{ input.n }}',
      text: 'Hi',
    });
    const result = validateWorkflow(document, registry);
    if (!result.ok) throw new Error('invalid document');
    const workflow = await h.db.workflows.createWorkflow(workspaceId, result.document);
    const version = await h.db.workflows.publish(workflow.id);
    const start = (n: number) =>
      h.runtime.startRun({ workspaceId, workflowId: workflow.id, versionId: version.id, input: { n } });
    // 100 at once: the quota is reserved exactly, so concurrency cannot squeeze in a 101st.
    const runs = await Promise.all(Array.from({ length: 100 }, (_, n) => start(n)));
    const finished = await Promise.all(
      runs.map((run) => h.runtime.waitForRun(run.id, { timeoutMs: 60_000 })),
    );
    expect(finished.filter((run) => run.status === 'succeeded')).toHaveLength(100);
    expect(new Set(smtp.messageIds).size).toBe(100);

    const over = await h.runtime.waitForRun((await start(101)).id, { timeoutMs: 20_000 });
    expect(over.status).toBe('failed');
    const step = (await h.steps(over.id)).get('step');
    expect(step?.error?.message).toContain(
      'Free plan allows 100 emails per month; upgrade to Starter for 5,000',
    );
    expect(smtp.messageIds).toHaveLength(100);
    expect((await billing.usage.totals(workspaceId)).emails).toBe(100);
    // Every run is metered too, from the runs themselves.
    expect((await billing.usage.totals(workspaceId)).workflow_runs).toBe(101);
  }, 90_000);
});

describe('billing.recordUsage', () => {
  it('records usage once per key and reports the quota', async () => {
    const document = oneNode('billing.recordUsage', {
      meter: 'leads',
      subject: '{{ input.email }}',
      idempotencyKey: 'lead-{{ input.email }}',
    });
    const first = await h.runToEnd(document, { email: 'ada@example.com' });
    expect(first.run.status).toBe('succeeded');
    expect(first.steps.get('step')?.output).toMatchObject({
      counted: true,
      quota: { ok: true, meter: 'leads', planId: 'professional', used: 1, limit: 10_000 },
    });
    const again = await h.runToEnd(document, { email: 'ada@example.com' });
    expect(again.steps.get('step')?.output).toMatchObject({ counted: false, quota: { used: 1 } });
  });

  it('names bad config fields', () => {
    expect(badFields('billing.recordUsage', { meter: 'bogus' })).toContain('config.meter');
    expect(badFields('billing.recordUsage', { meter: 'workflow_runs' })).toContain('config.meter');
    expect(badFields('billing.recordUsage', { meter: 'emails', quantity: -2 })).toContain('config.quantity');
    expect(badFields('billing.recordUsage', { meter: 'emails', occurredAt: 'yesterday' })).toContain(
      'config.occurredAt',
    );
  });

  it('fails the step on late usage and, when enforcing, past a hard limit', async () => {
    const late = await h.runToEnd(
      oneNode('billing.recordUsage', {
        meter: 'ai_generations',
        occurredAt: new Date(Date.now() - 72 * 3_600_000).toISOString(),
      }),
      {},
    );
    expect(late.run.status).toBe('failed');
    expect(late.steps.get('step')?.error).toMatchObject({
      code: 'config',
      field: 'config.occurredAt',
      message: expect.stringMatching(/grace period/),
    });

    const enforced = await h.runToEnd(
      oneNode('billing.recordUsage', { meter: 'campaigns', quantity: 500, enforce: true }),
      {},
    );
    expect(enforced.run.status).toBe('failed');
    expect(enforced.steps.get('step')?.error).toMatchObject({
      code: 'quota_exceeded',
      message: 'Professional plan allows 100 campaigns per month; upgrade to Enterprise for unlimited',
    });
  });
});

describe('billing.checkQuota', () => {
  it('routes to ok with room left and to exceeded past the limit', async () => {
    const roomy = await h.runToEnd(oneNode('billing.checkQuota', { meter: 'campaigns', quantity: 5 }), {
      campaign: 'spring',
    });
    expect(roomy.steps.get('step')?.output).toMatchObject({
      quota: { ok: true, limit: 100 },
      input: { campaign: 'spring' },
    });

    const document: WorkflowDocumentInput = {
      schemaVersion: 1,
      name: 'quota routing',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'quota',
          type: 'billing.checkQuota',
          config: { meter: 'campaigns', quantity: '{{ input.n }}' },
        },
        { id: 'go', type: 'data.set', config: { fields: [{ name: 'went', value: 'ok' }] } },
        { id: 'stop', type: 'data.set', config: { fields: [{ name: 'went', value: 'exceeded' }] } },
      ],
      edges: [
        { from: 'start', to: 'quota' },
        { from: 'quota', fromPort: 'ok', to: 'go' },
        { from: 'quota', fromPort: 'exceeded', to: 'stop' },
      ],
    };
    const over = await h.runToEnd(document, { n: 101 });
    expect(over.run.status).toBe('succeeded');
    expect(over.steps.get('stop')?.status).toBe('succeeded');
    expect(over.steps.has('go') && over.steps.get('go')?.status === 'succeeded').toBe(false);
    expect(over.steps.get('quota')?.output).toMatchObject({
      quota: {
        ok: false,
        message: 'Professional plan allows 100 campaigns per month; upgrade to Enterprise for unlimited',
      },
    });
  });

  it('names a bad meter, and fails clearly without the billing service', async () => {
    expect(badFields('billing.checkQuota', { meter: 'seats' })).toContain('config.meter');
    const services = h.services.billing;
    delete h.services.billing;
    try {
      const { run, steps } = await h.runToEnd(oneNode('billing.checkQuota', { meter: 'emails' }), {});
      expect(run.status).toBe('failed');
      expect(steps.get('step')?.error?.message).toMatch(/no billing service/);
    } finally {
      h.services.billing = services;
    }
  });
});
