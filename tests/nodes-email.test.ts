import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { validateWorkflow } from '../engine/validate.js';
import { CredentialStore } from '../api/credentials/store.js';
import { createMailer } from '../api/mail/mailer.js';
import { createNodeServices } from '../api/services.js';
import { messageIdFor } from '../nodes/email/send.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';

interface Received {
  from: string;
  to: string[];
  headers: Map<string, string>;
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it accepted. */
class CountingSmtp {
  readonly received: Received[] = [];
  /** Message-IDs of DATA attempts, accepted or not. */
  readonly attempts: string[] = [];
  /** Answer the next N DATA commands with 451 (temporary failure), or 554 when `permanent`. */
  rejectNext = 0;
  permanent = false;
  port = 0;
  connections = 0;
  private readonly server = new SMTPServer({
    onConnect: (_session, callback) => {
      this.connections += 1;
      callback();
    },
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => {
      if (auth.username === 'mailer' && auth.password === 'smtp-pass-secret')
        callback(null, { user: 'mailer' });
      else callback(new Error('Invalid username or password'));
    },
    onData: (stream: SMTPServerDataStream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = parseHeaders(raw);
        this.attempts.push(headers.get('message-id') ?? '');
        if (this.rejectNext > 0) {
          this.rejectNext -= 1;
          const error = Object.assign(new Error(this.permanent ? 'Mailbox unavailable' : 'Try again later'), {
            responseCode: this.permanent ? 554 : 451,
          });
          callback(error);
          return;
        }
        const mailFrom = session.envelope.mailFrom;
        this.received.push({
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          headers,
          raw,
        });
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
  /** Distinct messages, as a receiver deduplicating by Message-ID sees them. */
  distinct(): number {
    return new Set(this.received.map((message) => message.headers.get('message-id'))).size;
  }
}

function parseHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

let smtp: CountingSmtp;
let h: Harness;
let smtpCredentialId: string;
let authCredentialId: string;
let bearerCredentialId: string;

beforeAll(async () => {
  smtp = new CountingSmtp();
  await smtp.start();
  h = await createHarness({ staleAfterMs: 1000 });
  Object.assign(
    h.services,
    createNodeServices({
      knex: h.db.knex,
      secrets: h.secrets,
      // SMTP hosts from credentials pass the SSRF guard: the local server is allow-listed explicitly.
      env: {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        REVFLOW_UNSUBSCRIBE_URL: 'https://revflow.example/unsubscribe',
        REVFLOW_SSRF_ALLOW_HOSTS: `127.0.0.1:${smtp.port}`,
      },
    }),
  );
  const store = new CredentialStore(h.db.knex, h.secrets);
  smtpCredentialId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'smtp',
      type: 'smtp',
      data: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'Revflow <noreply@revflow.example>' },
      createdBy: null,
    })
  ).id;
  authCredentialId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'smtp-auth',
      type: 'smtp',
      data: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        username: 'mailer',
        password: 'smtp-pass-secret',
        from: 'a@revflow.example',
      },
      createdBy: null,
    })
  ).id;
  bearerCredentialId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'bearer',
      type: 'bearer',
      data: { token: 'not-smtp' },
      createdBy: null,
    })
  ).id;
});
beforeEach(() => {
  smtp.received.length = 0;
  smtp.attempts.length = 0;
  smtp.rejectNext = 0;
  smtp.permanent = false;
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

function doc(config: Record<string, unknown>, extra: Record<string, unknown> = {}): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'email test',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'send', type: 'email.send', config, ...extra },
    ],
    edges: [{ from: 'start', to: 'send' }],
  };
}

const registry = createNodeRegistry();

describe('email.send', () => {
  it('sends through an SMTP credential with a Message-ID derived from the step', async () => {
    const { run, steps } = await h.runToEnd(
      doc({
        credentialId: smtpCredentialId,
        to: '{{ input.email }}',
        cc: ['cc@example.com'],
        bcc: 'audit@example.com',
        subject: 'Welcome {{ input.name }}',
        text: 'Hi {{ input.name }}',
        html: '<p>Hi</p>',
      }),
      { email: 'ada@example.com', name: 'Ada' },
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(smtp.received).toHaveLength(1);
    const [message] = smtp.received;
    expect(message!.to.sort()).toEqual(['ada@example.com', 'audit@example.com', 'cc@example.com']);
    expect(message!.from).toBe('noreply@revflow.example');
    expect(message!.headers.get('subject')).toBe('Welcome Ada');
    expect(message!.headers.get('message-id')).toBe(`<${run.id}.send@revflow>`);
    expect(message!.headers.has('list-unsubscribe')).toBe(false);
    expect(message!.headers.has('bcc')).toBe(false);
    expect(steps.get('send')!.output).toMatchObject({ messageId: `<${run.id}.send@revflow>`, rejected: [] });
  });

  it('uses SMTP_URL without a credential, authenticates with credential users, and adds unsubscribe headers to commercial mail', async () => {
    const plain = await h.runToEnd(
      doc({ from: 'ops@revflow.example', to: 'bob@example.com', subject: 'x', text: 'y' }),
      {},
    );
    expect(plain.run.status, JSON.stringify(plain.run.error)).toBe('succeeded');
    const auth = await h.runToEnd(
      doc({
        credentialId: authCredentialId,
        to: 'bob@example.com',
        subject: 'x',
        text: 'y',
        commercial: true,
      }),
      {},
    );
    expect(auth.run.status, JSON.stringify(auth.run.error)).toBe('succeeded');
    expect(smtp.received).toHaveLength(2);
    const commercial = smtp.received[1]!;
    expect(commercial.headers.get('list-unsubscribe')).toBe('<https://revflow.example/unsubscribe>');
    expect(commercial.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    // The SMTP password never reaches the step record.
    expect(JSON.stringify(await h.db.knex('steps').where({ run_id: auth.run.id }))).not.toContain(
      'smtp-pass-secret',
    );
    const own = await h.runToEnd(
      doc({
        to: 'bob@example.com',
        from: 'a@b.example',
        subject: 'x',
        text: 'y',
        commercial: true,
        unsubscribeUrl: 'https://acme.example/u?id={{ input.id }}',
      }),
      { id: 7 },
    );
    expect(own.run.status).toBe('succeeded');
    expect(smtp.received[2]!.headers.get('list-unsubscribe')).toBe('<https://acme.example/u?id=7>');
  });

  it('refuses bad configuration, naming the field', () => {
    const fields = (config: Record<string, unknown>) => {
      const result = validateWorkflow(doc(config), registry);
      expect(result.ok).toBe(false);
      return result.issues.map((issue) => issue.field);
    };
    expect(fields({ subject: 'x', text: 'y' })).toContain('config.to');
    expect(fields({ to: 'not-an-address', subject: 'x', text: 'y' })).toContain('config.to[0]');
    expect(fields({ to: 'a@b.example', subject: 'x' })).toContain('config.text');
    expect(fields({ to: 'a@b.example', text: 'x' })).toContain('config.subject');
    expect(
      fields({ to: 'a@b.example', subject: 'x', text: 'y', unsubscribeUrl: 'http://insecure.example' }),
    ).toContain('config.unsubscribeUrl');
  });

  it('fails clearly: rejected by the server, wrong credential type, no sender, unknown credential', async () => {
    smtp.rejectNext = 1;
    smtp.permanent = true;
    const rejected = await h.runToEnd(
      doc({ credentialId: smtpCredentialId, to: 'a@b.example', subject: 'x', text: 'y' }),
      {},
    );
    expect(rejected.run.status).toBe('failed');
    expect(rejected.steps.get('send')!.error).toMatchObject({ code: 'smtp_rejected' });
    expect(rejected.steps.get('send')!.error!.message).toMatch(/554/);
    const wrongType = await h.runToEnd(
      doc({ credentialId: bearerCredentialId, to: 'a@b.example', subject: 'x', text: 'y' }),
      {},
    );
    expect(wrongType.steps.get('send')!.error).toMatchObject({
      code: 'config',
      field: 'config.credentialId',
    });
    const noSender = await h.runToEnd(doc({ to: 'a@b.example', subject: 'x', text: 'y' }), {});
    expect(noSender.steps.get('send')!.error).toMatchObject({ code: 'config', field: 'config.from' });
    const unknown = await h.runToEnd(
      doc({
        credentialId: '00000000-0000-4000-8000-000000000000',
        to: 'a@b.example',
        subject: 'x',
        text: 'y',
      }),
      {},
    );
    expect(unknown.steps.get('send')!.error).toMatchObject({
      code: 'credential',
      field: 'config.credentialId',
    });
    expect(unknown.steps.get('send')!.error!.message).toMatch(/does not exist/);
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses an SMTP credential pointing at a private address that is not allow-listed, before connecting', async () => {
    const services = { ...h.services };
    Object.assign(h.services, createNodeServices({ knex: h.db.knex, secrets: h.secrets, env: {} }));
    try {
      const before = smtp.connections;
      const { run, steps } = await h.runToEnd(
        doc({ credentialId: smtpCredentialId, to: 'a@b.example', subject: 'x', text: 'y' }),
        {},
      );
      expect(run.status).toBe('failed');
      expect(steps.get('send')!.error).toMatchObject({ code: 'ssrf_blocked', field: 'config.credentialId' });
      expect(smtp.connections).toBe(before);
    } finally {
      Object.assign(h.services, services);
    }
  });

  it('keeps the Message-ID when the step is retried', async () => {
    smtp.rejectNext = 1;
    const { run } = await h.runToEnd(
      doc(
        { credentialId: smtpCredentialId, to: 'a@b.example', subject: 'x', text: 'y' },
        { retry: { maxAttempts: 2, backoff: 'fixed', initialDelayMs: 10 } },
      ),
      {},
    );
    expect(run.status).toBe('succeeded');
    expect(smtp.attempts).toEqual([`<${run.id}.send@revflow>`, `<${run.id}.send@revflow>`]);
    expect(smtp.received).toHaveLength(1);
  });

  it('after a crash: a sent email is not sent again, an interrupted one is re-sent once with the same Message-ID', async () => {
    // trigger → welcome → followUp; the crashed executor had committed `welcome` as sent and was
    // in the middle of `followUp` (it reached the SMTP server, but the success was never committed).
    const document: WorkflowDocumentInput = {
      schemaVersion: 1,
      name: 'two emails',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'welcome',
          type: 'email.send',
          config: { credentialId: smtpCredentialId, to: 'ada@example.com', subject: 'Welcome', text: 'hi' },
        },
        {
          id: 'followUp',
          type: 'email.send',
          config: {
            credentialId: smtpCredentialId,
            to: 'ada@example.com',
            subject: 'Follow-up',
            text: 'again',
          },
        },
      ],
      edges: [
        { from: 'start', to: 'welcome' },
        { from: 'welcome', to: 'followUp' },
      ],
    };
    const { workflowId, versionId } = await h.publish(document);
    const runId = crypto.randomUUID();
    const mailer = createMailer({ credentials: new CredentialStore(h.db.knex, h.secrets) });
    // What the dead executor did before it died: both sends reached the server.
    for (const [node, subject] of [
      ['welcome', 'Welcome'],
      ['followUp', 'Follow-up'],
    ] as const) {
      await mailer.send(h.workspaceId, smtpCredentialId, {
        to: ['ada@example.com'],
        cc: [],
        bcc: [],
        subject,
        text: 'x',
        messageId: messageIdFor(`${runId}:${node}`),
        headers: {},
      });
    }
    const now = new Date();
    const step = (nodeId: string, status: 'succeeded' | 'running', output: unknown) => ({
      runId,
      nodeId,
      status,
      attempts: 1,
      input: {},
      output: output as null,
      ports: status === 'succeeded' ? ['out'] : [],
      error: null,
      logs: [],
      startedAt: now,
      finishedAt: status === 'succeeded' ? now : null,
      wait: null,
      interruptions: 0,
    });
    // The run as the crash left it: running, held by an executor that no longer heartbeats.
    await h.db.store.createRun({
      id: runId,
      workspaceId: h.workspaceId,
      workflowId,
      versionId,
      triggerNodeId: 'start',
      input: {},
      deadlineAt: null,
      claimFor: 'executor-that-crashed',
      steps: [
        step('start', 'succeeded', {}),
        step('welcome', 'succeeded', { messageId: messageIdFor(`${runId}:welcome`) }),
        step('followUp', 'running', null),
      ],
    });
    const run = await h.runtime.waitForRun(runId, { timeoutMs: 20_000 });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    // welcome: once (before the crash). followUp: once before and once on resume, same Message-ID.
    const ids = smtp.received.map((message) => message.headers.get('message-id'));
    expect(ids.filter((id) => id === `<${runId}.welcome@revflow>`)).toHaveLength(1);
    expect(ids.filter((id) => id === `<${runId}.followUp@revflow>`)).toHaveLength(2);
    expect(smtp.distinct()).toBe(2);
    expect((await h.steps(runId)).get('followUp')).toMatchObject({ status: 'succeeded', interruptions: 1 });
  });

  it('retrying a failed run keeps the sent email and does not send it again', async () => {
    const document: WorkflowDocumentInput = {
      schemaVersion: 1,
      name: 'email then fail',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'send',
          type: 'email.send',
          config: {
            credentialId: smtpCredentialId,
            to: 'ada@example.com',
            subject: 'Once',
            text: 'only once',
          },
        },
        { id: 'after', type: 'test.flaky', config: { failures: 1 } },
      ],
      edges: [
        { from: 'start', to: 'send' },
        { from: 'send', to: 'after' },
      ],
    };
    const { run } = await h.runToEnd(document, {});
    expect(run.status).toBe('failed');
    const retried = await h.runtime.waitForRun((await h.runtime.retryRun(run.id)).id, { timeoutMs: 20_000 });
    expect(retried.status).toBe('succeeded');
    expect(smtp.received).toHaveLength(1);
  });
});
