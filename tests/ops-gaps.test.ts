import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { RunQuota } from '../api/billing/run-quota.js';
import { derivedPublicUrl, loadConfig } from '../api/config.js';
import { httpSettingsFromEnv } from '../api/http/settings.js';
import { createTeam, startApi, type TestApi } from './helpers/api.js';
import { finishedRun, hook, publish, type Body } from './helpers/observability.js';

/** Issue 19, "operational gaps found from outside": each as a user meets it. */

const mails: { to: string[]; raw: string }[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      mails.push({
        to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});

let server: TestApi;
let noMail: TestApi;
let upstream: Server;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  [server, noMail] = await Promise.all([
    startApi({
      engine: true,
      settings: {
        publicUrl: 'http://revflow.test:4100',
        accountMail: { smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Revflow <no-reply@revflow.test>' },
      },
    }),
    startApi(),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.close(), noMail?.close()]);
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

/** A quoted-printable body decoded enough to read links (soft breaks and =XX). */
const decoded = (raw: string): string =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe('invitation emails', () => {
  it('sends the invitee an email with a working accept link when SMTP_URL is set', async () => {
    const team = await createTeam(server);
    const email = `invitee-${Date.now()}@example.com`;
    const listed = await team.admin.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/invitations`);
    expect(listed.body.mailConfigured).toBe(true);
    const created = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/invitations`, {
      email,
      role: 'member',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.delivery).toEqual({ status: 'sent' });
    const message = mails.find((mail) => mail.to.includes(email));
    expect(message).toBeDefined();
    const body = decoded(message!.raw);
    expect(body).toContain('Subject: ');
    expect(body).toContain('Team workspace');
    expect(body).toContain(created.body.acceptUrl as string);
    expect(created.body.acceptUrl).toMatch(/^http:\/\/revflow\.test:4100\/invitations\/[^/]+$/);

    // The link works: its token opens the invitation, and the invitee can accept it.
    const token = new URL(created.body.acceptUrl as string).pathname.split('/').pop()!;
    const preview = await server.client().get<Body>(`/api/v1/invitations/${token}`);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ email, role: 'member', workspace: { name: 'Team workspace' } });
    const invitee = server.client();
    await invitee.signup({ email });
    const accepted = await invitee.post<Body>(`/api/v1/invitations/${token}/accept`, {});
    expect(accepted.status, accepted.text).toBeLessThan(300);

    // A resend mails a fresh link; the old one stops working.
    const second = `again-${Date.now()}@example.com`;
    const again = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/invitations`, {
      email: second,
      role: 'viewer',
    });
    const resent = await team.admin.client.post<Body>(
      `/api/v1/workspaces/${team.workspaceId}/invitations/${again.body.id as string}/resend`,
      {},
    );
    expect(resent.body.delivery).toEqual({ status: 'sent' });
    expect(mails.filter((mail) => mail.to.includes(second))).toHaveLength(2);
    expect(decoded(mails.filter((mail) => mail.to.includes(second))[1]!.raw)).toContain(
      resent.body.acceptUrl as string,
    );
  });

  it('says so when mail is not configured, and still gives the link', async () => {
    const team = await createTeam(noMail);
    const listed = await team.admin.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/invitations`);
    expect(listed.body.mailConfigured).toBe(false);
    const created = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/invitations`, {
      email: `nomail-${Date.now()}@example.com`,
      role: 'member',
    });
    expect(created.status).toBe(201);
    expect(created.body.delivery.status).toBe('not_configured');
    expect(created.body.delivery.detail).toMatch(/SMTP_URL/);
    expect(created.body.acceptUrl).toMatch(/\/invitations\//);
  });
});

describe('REVFLOW_PUBLIC_URL', () => {
  it('is derived from HOST and PORT unless set', () => {
    const env: NodeJS.ProcessEnv = { HOST: '0.0.0.0', PORT: '8080' };
    expect(loadConfig(env).REVFLOW_PUBLIC_URL).toBe('http://localhost:8080');
    expect(httpSettingsFromEnv(env).publicUrl).toBe('http://localhost:8080');
    expect(derivedPublicUrl('127.0.0.1', '3000')).toBe('http://127.0.0.1:3000');
    expect(derivedPublicUrl('::1', 4000)).toBe('http://[::1]:4000');
    expect(derivedPublicUrl(undefined, undefined)).toBe('http://localhost:3000');
    const explicit: NodeJS.ProcessEnv = { PORT: '8080', REVFLOW_PUBLIC_URL: 'https://app.example.com' };
    expect(loadConfig(explicit).REVFLOW_PUBLIC_URL).toBe('https://app.example.com');
  });
});

describe('local-mode proration preview', () => {
  it('shows the lines Stripe would invoice now: unused time credited, remaining time charged', async () => {
    const team = await createTeam(server);
    const billing = billingFor(server.db.knex);
    await billing.accounts.setPlan(team.workspaceId, { planId: 'starter', seats: 6, status: 'active' });
    const account = await billing.accounts.get(team.workspaceId);
    const before = Date.now();
    const preview = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/billing/preview`, {
      planId: 'professional',
      seats: 20,
    });
    const after = Date.now();
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.mode).toBe('local');
    const lines = preview.body.nowLines as { description: string; amountCents: number; proration: boolean }[];
    // Starter: $49 + 1 extra seat at $10; Professional includes 20 seats: $299, no extra seat.
    const period = account.currentPeriodEnd.getTime() - account.currentPeriodStart.getTime();
    const fractionAt = (at: number) =>
      Math.floor((account.currentPeriodEnd.getTime() - at) / 1000) / Math.floor(period / 1000);
    const expectedNear = (cents: number) => [Math.round(cents * fractionAt(after)), Math.round(cents * fractionAt(before))];
    expect(lines.map((line) => line.description)).toEqual([
      expect.stringMatching(/^Unused time on Starter after \d{2} [A-Z][a-z]{2} \d{4}$/),
      expect.stringMatching(/^Remaining time on Professional after \d{2} [A-Z][a-z]{2} \d{4}$/),
      expect.stringMatching(/^Unused time on Starter extra seat after /),
    ]);
    expect(lines.every((line) => line.proration)).toBe(true);
    const [unusedBase, remaining, unusedSeat] = lines.map((line) => line.amountCents);
    const [lowBase, highBase] = expectedNear(4_900);
    expect(-unusedBase!).toBeGreaterThanOrEqual(lowBase!);
    expect(-unusedBase!).toBeLessThanOrEqual(highBase!);
    const [lowPro, highPro] = expectedNear(29_900);
    expect(remaining!).toBeGreaterThanOrEqual(lowPro!);
    expect(remaining!).toBeLessThanOrEqual(highPro!);
    expect(-unusedSeat!).toBeLessThanOrEqual(1_000);
    expect(preview.body.amountDueNowCents).toBe(unusedBase! + remaining! + unusedSeat!);
    expect(preview.body.amountDueNowCents).toBeGreaterThan(0);
    // The next invoice is the catalogue price, as before.
    expect(preview.body.nextInvoice.amountDueCents).toBe(29_900);
  });

  it('credits a downgrade without charging now, and prorates nothing during a trial', async () => {
    const team = await createTeam(server);
    const billing = billingFor(server.db.knex);
    await billing.accounts.setPlan(team.workspaceId, { planId: 'professional', seats: 20, status: 'active' });
    const down = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/billing/preview`, {
      planId: 'starter',
      seats: 20,
    });
    expect(down.status, down.text).toBe(200);
    expect(down.body.amountDueNowCents).toBe(0);
    expect((down.body.nowLines as Body[]).reduce((sum, line) => sum + (line.amountCents as number), 0)).toBeLessThan(0);
    await billing.accounts.setPlan(team.workspaceId, { status: 'trialing' });
    const trial = await team.admin.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/billing/preview`, {
      planId: 'enterprise',
      seats: 100,
    });
    expect(trial.status, trial.text).toBe(200);
    expect(trial.body).toMatchObject({ amountDueNowCents: 0, nowLines: [] });
  });
});

describe('workflow-run quota opportunities', () => {
  it('creates an upgrade_tier opportunity at 80% and another at 100% of the runs quota', async () => {
    const team = await createTeam(server);
    const knex = server.db.knex;
    const billing = billingFor(knex);
    await billing.accounts.setPlan(team.workspaceId, { planId: 'free', status: 'free' });
    const account = await billing.accounts.get(team.workspaceId);
    const fill = (count: number) =>
      knex.raw(
        `INSERT INTO runs (workspace_id, workflow_id, version_id, status, trigger_node_id, created_at)
         SELECT ?, gen_random_uuid(), gen_random_uuid(), 'succeeded', 'hook', ?::timestamptz FROM generate_series(1, ?)`,
        [team.workspaceId, account.currentPeriodStart, count],
      );
    const quota = new RunQuota(knex, 0); // reads the count every time
    await fill(799);
    await quota.admit(team.workspaceId); // the 800th run of 1,000: 80%
    const opportunities = async () => {
      for (let i = 0; i < 50; i += 1) {
        const rows = (await knex('billing_expansions').where({ workspace_id: team.workspaceId })) as Body[];
        if (rows.length > 0) return rows;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return [];
    };
    const first = await opportunities();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kind: 'upgrade_tier', suggested_plan: 'starter' });
    expect(first[0].data).toMatchObject({ meter: 'workflow_runs', used: 800, limit: 1000 });
    await fill(200); // 999 stored: the next is the 1,000th, the whole quota
    await quota.admit(team.workspaceId);
    for (let i = 0; i < 50; i += 1) {
      if ((await knex('billing_expansions').where({ workspace_id: team.workspaceId })).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const all = (await knex('billing_expansions').where({ workspace_id: team.workspaceId })) as Body[];
    expect(all.map((row) => row.data.used).sort()).toEqual([1000, 800]);
    await fill(1);
    await expect(Promise.resolve().then(() => quota.admit(team.workspaceId))).rejects.toThrow(/1,000|1000/);
    // Listed for the owner like the other meters' opportunities.
    const listed = await team.owner.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/billing/expansions`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('upgrade_tier');
  });
});

describe('the outbound-hosts allow-list', () => {
  it('applies at once: a blocked host works in the very next run after an admin allows it', async () => {
    const team = await createTeam(server);
    const { port } = upstream.address() as AddressInfo;
    await publish(team, {
      schemaVersion: 1,
      name: 'Calls an internal API',
      nodes: [
        { id: 'hook', type: 'trigger.webhook', config: { path: 'internal' } },
        {
          id: 'call',
          type: 'http.request',
          config: { method: 'GET', url: `http://127.0.0.1:${port}/status`, retries: 0 },
        },
      ],
      edges: [{ from: 'hook', to: 'call' }],
    });
    const runOnce = async (): Promise<Body> => {
      const accepted = await hook(server, team, 'internal', {});
      return finishedRun(team, ((await accepted.json())).runId as string);
    };
    const blocked = await runOnce();
    expect(blocked.status).toBe('failed');
    expect(JSON.stringify(blocked.error)).toMatch(/private|loopback|allow-list|ssrf/i);
    const put = await team.admin.client.put<Body>(`/api/v1/workspaces/${team.workspaceId}/outbound-hosts`, {
      hosts: [`127.0.0.1:${port}`],
    });
    expect(put.status).toBe(200);
    const allowed = await runOnce();
    expect(allowed.status, JSON.stringify(allowed.error)).toBe('succeeded');
    // And removing it applies at once too.
    await team.admin.client.put(`/api/v1/workspaces/${team.workspaceId}/outbound-hosts`, { hosts: [] });
    expect((await runOnce()).status).toBe('failed');
  });

  it('is an admin job: a member cannot change it', async () => {
    const team = await createTeam(server);
    const put = await team.member.client.put<Body>(`/api/v1/workspaces/${team.workspaceId}/outbound-hosts`, {
      hosts: ['10.0.0.1'],
    });
    expect(put.status).toBe(403);
  });
});
