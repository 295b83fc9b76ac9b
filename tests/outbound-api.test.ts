import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../api/hooks/signature.js';
import { outboundSequenceTemplate } from '../canvas/templates/outbound.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

interface Mail {
  to: string[];
  headers: Map<string, string>;
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it accepted. */
class SmtpSink {
  readonly received: Mail[] = [];
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream: SMTPServerDataStream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
        const headers = new Map<string, string>();
        for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), headers, raw });
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
  to(email: string): Mail[] {
    return this.received.filter((mail) => mail.to.includes(email));
  }
}

let server: TestApi;
let smtp: SmtpSink;
let team: Team;
let base: string;

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The template with short waits: the first long enough for a reply to arrive, the second short. */
function sequence(firstWaitMs: number, secondWaitMs: number, name = 'Q4 outbound') {
  const document = structuredClone(outboundSequenceTemplate.document);
  document.name = name;
  for (const node of document.nodes) {
    if (node.id === 'wait1') node.config = { ...node.config, timeoutMs: firstWaitMs };
    if (node.id === 'wait2') node.config = { ...node.config, timeoutMs: secondWaitMs };
    if (node.id === 'first' || node.id === 'followup')
      node.config = { ...node.config, from: 'Sales <sales@revflow.example>' };
  }
  return document;
}

async function campaignWorkflow(
  document: ReturnType<typeof sequence>,
  as = team.member.client,
  ws = base,
): Promise<string> {
  const created = await as.post<Body>(`${ws}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  expect((await as.post<Body>(`${ws}/workflows/${created.body.id}/publish`, {})).status).toBe(201);
  expect((await as.post<Body>(`${ws}/workflows/${created.body.id}/activate`)).status).toBe(200);
  return created.body.id as string;
}

const CSV = [
  'Email,Full Name,Company,Job Title,Time zone,employees',
  'ada@acme.example,Ada Lovelace,Acme,VP Sales,Europe/London,250',
  'grace@globex.example,Grace Hopper,Globex,Director of Ops,America/New_York,1200',
  'linus@initech.example,Linus T,Initech,Engineer,Europe/Helsinki,40',
].join('\n');

beforeAll(async () => {
  smtp = new SmtpSink();
  await smtp.start();
  process.env.SMTP_URL = `smtp://127.0.0.1:${smtp.port}`;
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
  delete process.env.SMTP_URL;
});

describe('the "Outbound sequence" template', () => {
  it('validates against the node registry and marks its sends as outbound email', () => {
    const registry = createNodeRegistry();
    const result = validateWorkflow(outboundSequenceTemplate.document, registry);
    expect(result.issues).toEqual([]);
    expect(registry.get('outbound.send')?.outbound).toBe('email');
    const pick = outboundSequenceTemplate.document.nodes.find((node) => node.type === 'outbound.pickVariant');
    expect((pick?.config as { variants: unknown[] }).variants).toHaveLength(3);
  });
});

describe('a RevOps user runs a campaign end to end', () => {
  it('imports a CSV, enrols, a reply stops the sequence, the variant learns and the score moves', async () => {
    const preview = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, {
      csv: CSV,
    });
    expect(preview.body.mapping).toMatchObject({
      Email: 'email',
      'Full Name': 'name',
      Company: 'company',
      'Job Title': 'title',
      'Time zone': 'timezone',
      employees: 'attributes.employees',
    });
    expect(preview.body).toMatchObject({ total: 3, valid: 3, errors: [] });
    const imported = await team.member.client.post<Body>(`${base}/outbound/leads/import`, {
      csv: CSV,
      mapping: preview.body.mapping,
    });
    expect(imported.body, imported.text).toMatchObject({ total: 3, created: 3, failed: 0 });
    const leads = (await team.viewer.client.get<Body>(`${base}/outbound/leads?limit=10`)).body
      .items as Body[];
    const ada = leads.find((lead) => lead.email === 'ada@acme.example');
    expect(ada).toMatchObject({
      name: 'Ada Lovelace',
      timezone: 'Europe/London',
      attributes: { employees: '250' },
      status: 'new',
    });

    const workflowId = await campaignWorkflow(sequence(5_000, 300));
    const enrolled = await team.member.client.post<Body>(`${base}/outbound/campaigns/${workflowId}/enroll`, {
      leadIds: leads.map((lead) => lead.id),
    });
    expect(enrolled.status, enrolled.text).toBe(202);
    expect(enrolled.body).toMatchObject({ requested: 3, started: 3 });
    // Enrolling again starts nothing: one run per lead.
    expect(
      (
        await team.member.client.post<Body>(`${base}/outbound/campaigns/${workflowId}/enroll`, {
          leadIds: [ada.id],
        })
      ).body.started,
    ).toBe(0);

    await until(() => (smtp.received.length >= 3 ? true : undefined));
    const [first] = smtp.to('ada@acme.example');
    expect(first!.headers.get('list-unsubscribe')).toMatch(/^<http.*\/api\/v1\/outbound\/unsubscribe\/.+>$/);
    expect(first!.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const messageId = first!.headers.get('message-id')!;
    expect(messageId).toMatch(/^<.+@revflow>$/);

    // The SMTP server has the mail a moment before the step records its send.
    const sendsOf = (stats: Body): number =>
      stats.variants.reduce((sum: number, v: Body) => sum + v.sends, 0);
    const before = await until(async () => {
      const stats = (await team.viewer.client.get<Body>(`${base}/outbound/campaigns/${workflowId}`)).body;
      return sendsOf(stats) >= 3 ? stats : undefined;
    });
    expect(sendsOf(before)).toBe(3);
    const adaBefore = (await team.viewer.client.get<Body>(`${base}/outbound/leads/${ada.id}`)).body;

    // Ada's run waits for her reply (holding no worker).
    const adaRun = enrolled.body.runs.find((run: Body) => run.leadId === ada.id).runId as string;
    await until(async () =>
      (await team.viewer.client.get<Body>(`${base}/runs/${adaRun}`)).body.status === 'waiting'
        ? true
        : undefined,
    );

    // The reply arrives at the signed inbound webhook, threaded under the send.
    const secret = (await team.admin.client.get<Body>(`${base}/outbound/settings`)).body.secret as string;
    const body = JSON.stringify({
      id: 'esp-evt-1',
      type: 'reply',
      inReplyTo: messageId,
      from: 'Ada <ada@acme.example>',
      subject: 'Re: hello',
      text: "Sounds great, let's book a call next week.\n\nOn Tue, Sales wrote:\n> not interested",
    });
    const hook = await fetch(`${server.baseUrl}/hooks/outbound?workspace=${team.workspaceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'revflow-signature': signPayload(secret, body) },
      body,
    });
    const reply = await hook.json();
    expect(hook.status).toBe(200);
    expect(reply).toMatchObject({
      matched: true,
      duplicate: false,
      classification: 'positive',
      classifiedBy: expect.any(String),
      stoppedEnrollments: 1,
      resumedRuns: 1,
      platformEvent: 'outbound.replied',
    });

    // The sequence stops for Ada: her run ends without a follow-up; the others get theirs.
    await until(() =>
      smtp.to('grace@globex.example').length >= 2 && smtp.to('linus@initech.example').length >= 2
        ? true
        : undefined,
    );
    const runs = await until(async () => {
      const items = (await team.viewer.client.get<Body>(`${base}/runs?workflowId=${workflowId}`)).body
        .items as Body[];
      return items.length === 3 &&
        items.every((run) => run.status === 'succeeded' || run.status === 'completed')
        ? items
        : undefined;
    });
    expect(runs).toHaveLength(3);
    expect(smtp.to('ada@acme.example')).toHaveLength(1);
    const followUp = smtp.to('grace@globex.example')[1]!;
    expect(followUp.headers.get('subject')).toMatch(/^Re: /);
    expect(followUp.headers.get('in-reply-to')).toBe(
      smtp.to('grace@globex.example')[0]!.headers.get('message-id'),
    );

    // The variant that earned the reply moved; Ada's score changed; the timeline shows the reply.
    const after = (await team.viewer.client.get<Body>(`${base}/outbound/campaigns/${workflowId}`)).body;
    const adaSend = adaBefore.sends[0];
    const moved = after.variants.find((v: Body) => v.variant === adaSend.variant && v.picker === 'pick');
    const was = before.variants.find((v: Body) => v.variant === adaSend.variant && v.picker === 'pick');
    expect(moved).toMatchObject({ replies: 1, rewards: 1 });
    expect(moved.posteriorMean).toBeGreaterThan(was.posteriorMean);
    expect(moved.replyRateHigh).toBeGreaterThan(moved.replyRateLow);
    expect(after.funnel.map((step: Body) => step.step)).toEqual(['first', 'followup']);
    expect(after.funnel[0]).toMatchObject({ sends: 3, replies: 1, positive: 1 });
    expect(after.funnel[1]).toMatchObject({ sends: 2 });
    const adaAfter = (await team.viewer.client.get<Body>(`${base}/outbound/leads/${ada.id}`)).body;
    expect(adaAfter.lead.status).toBe('replied');
    expect(adaAfter.score.score).not.toBe(adaBefore.score.score);
    expect(adaAfter.score.factors.length).toBeGreaterThan(0);
    expect(adaAfter.timeline.map((event: Body) => event.kind)).toEqual(
      expect.arrayContaining(['sent', 'replied', 'outcome']),
    );
    expect(adaAfter.enrollments[0]).toMatchObject({ status: 'stopped', stopReason: 'replied' });

    // The same delivery again changes nothing; it becomes one platform event for trigger.event workflows.
    const again = await fetch(`${server.baseUrl}/hooks/outbound?workspace=${team.workspaceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'revflow-signature': signPayload(secret, body) },
      body,
    });
    expect((await again.json()).duplicate).toBe(true);
    const platform = await until(async () => {
      const items = (await team.viewer.client.get<Body>(`${base}/events?name=outbound.replied`)).body
        .items as Body[];
      return items.length > 0 ? items : undefined;
    });
    expect(platform).toHaveLength(1);
    expect(platform[0].data).toMatchObject({
      leadId: ada.id,
      classification: 'positive',
      variant: adaSend.variant,
    });

    // Retraining from history keeps the outcomes it learned from.
    const retrained = await team.member.client.post<Body>(`${base}/outbound/score/retrain`);
    expect(retrained.body.examples).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
