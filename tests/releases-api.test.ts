import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import { releaseAnnouncementTemplate } from '../canvas/templates/feedback.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type ApiClient,
  type Team,
  type TestApi,
} from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/** A real SMTP server that keeps what it accepted. */
class SmtpSink {
  readonly received: Array<{ to: string[]; raw: string }> = [];
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
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
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ADMIN_EMAIL = `release-admin-${Date.now()}@revflow.example`;
let server: TestApi;
let smtp: SmtpSink;
let team: Team;
let admin: ApiClient;
const saved = { ...process.env };

beforeAll(async () => {
  smtp = new SmtpSink();
  await smtp.start();
  process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
  process.env.REVFLOW_RELEASES_SWEEP_MS = '200';
  process.env.SMTP_URL = `smtp://127.0.0.1:${smtp.port}`;
  server = await startApi({ engine: true });
  team = await createTeam(server);
  admin = server.client();
  await admin.signup({ email: ADMIN_EMAIL });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await smtp?.close();
  process.env = saved;
});

const note = (overrides: Record<string, unknown> = {}) => ({
  title: 'Faster canvas',
  body: 'The canvas opens **twice as fast**.',
  category: 'improved',
  version: '2.4.0',
  ...overrides,
});
const releasesOf = (client: ApiClient, workspaceId: string) =>
  client.get<Body>(`/api/v1/workspaces/${workspaceId}/releases`);

describe('release center', () => {
  it('publishes a scheduled note at its time: the user sees it unread, reads it, and the template announces it by email', async () => {
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    // The workspace's own announcement workflow, from the template, active before the event.
    expect(validateWorkflow(releaseAnnouncementTemplate.document, createNodeRegistry()).ok).toBe(true);
    const created = await team.owner.client.post<Body>(
      `${base}/workflows`,
      releaseAnnouncementTemplate.document,
    );
    expect(created.status).toBe(201);
    expect((await team.owner.client.post(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(
      201,
    );
    expect((await team.owner.client.post(`${base}/workflows/${created.body.id}/activate`)).status).toBe(200);

    const scheduledAt = new Date(Date.now() + 1500).toISOString();
    const draft = await admin.post<Body>(
      '/api/v1/admin/releases',
      note({ status: 'scheduled', scheduledAt, featured: true }),
    );
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: 'scheduled', featured: true, public: true });
    expect(draft.body.html).toBe('<p>The canvas opens <strong>twice as fast</strong>.</p>\n');
    expect((await releasesOf(team.member.client, team.workspaceId)).body.items).toEqual([]);

    const seen = await until(
      () => releasesOf(team.member.client, team.workspaceId),
      (response) => response.body.items.length === 1,
    );
    expect(seen.body.unread).toBe(1);
    expect(seen.body.items[0]).toMatchObject({ id: draft.body.id, status: 'published', read: false });
    const events = await team.owner.client.get<Body>(`${base}/events?name=release.published`);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0].data).toMatchObject({
      noteId: draft.body.id,
      title: 'Faster canvas',
      category: 'improved',
    });
    expect(events.body.items[0].data.recipients).toContain(team.member.account.email);

    const read = await team.member.client.post<Body>(`${base}/releases/read`, { noteIds: [draft.body.id] });
    expect(read.body).toEqual({ unread: 0 });
    expect((await releasesOf(team.member.client, team.workspaceId)).body.unread).toBe(0);
    // Read state is per person: the owner still has it unread.
    expect((await releasesOf(team.owner.client, team.workspaceId)).body.unread).toBe(1);

    const mail = await until(
      async () => smtp.received.filter((message) => message.raw.includes('Faster canvas')),
      (messages) => messages.length >= 1,
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to).toEqual(
      expect.arrayContaining([team.owner.account.email, team.member.account.email]),
    );
    // Bcc: no recipient sees the others in the headers.
    expect(mail[0]?.raw).not.toContain(team.member.account.email);
  }, 30_000);

  it('refuses members, owners and API keys who try to write or publish notes', async () => {
    const body = note();
    for (const client of [team.owner.client, team.member.client, team.outsider.client])
      expect((await client.post('/api/v1/admin/releases', body)).status).toBe(403);
    const made = await admin.post<Body>('/api/v1/admin/releases', body);
    expect((await team.owner.client.post(`/api/v1/admin/releases/${made.body.id}/publish`, {})).status).toBe(
      403,
    );
    expect(
      (await team.owner.client.patch(`/api/v1/admin/releases/${made.body.id}`, { title: 'x' })).status,
    ).toBe(403);
    expect((await server.client().post(`/api/v1/admin/releases/${made.body.id}/publish`, {})).status).toBe(
      401,
    );
    const key = await team.owner.client.post<Body>(`/api/v1/workspaces/${team.workspaceId}/api-keys`, {
      name: 'ci',
      role: 'admin',
    });
    expect(key.status).toBe(201);
    expect((await server.keyClient(key.body.key).post('/api/v1/admin/releases', body)).status).toBe(403);
    // The draft stays a draft, and nobody sees it.
    expect(
      (await releasesOf(team.owner.client, team.workspaceId)).body.items.map((n: Body) => n.id),
    ).not.toContain(made.body.id);
  });

  it('publishes once: a second publish is refused and emits nothing more', async () => {
    const made = await admin.post<Body>('/api/v1/admin/releases', note({ title: 'Once only' }));
    const [first, second] = await Promise.all([
      admin.post<Body>(`/api/v1/admin/releases/${made.body.id}/publish`, {}),
      admin.post<Body>(`/api/v1/admin/releases/${made.body.id}/publish`, {}),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 400]);
    const mine = async () =>
      (
        await team.owner.client.get<Body>(
          `/api/v1/workspaces/${team.workspaceId}/events?name=release.published`,
        )
      ).body.items.filter((e: Body) => e.data.noteId === made.body.id);
    await until(mine, (items) => items.length > 0);
    // Fixing a typo in a published note changes its text, not its publication; it cannot go back to draft.
    const fixed = await admin.patch<Body>(`/api/v1/admin/releases/${made.body.id}`, {
      title: 'Once only, really',
    });
    expect(fixed.body).toMatchObject({ title: 'Once only, really', status: 'published' });
    expect(
      invalidFields((await admin.patch(`/api/v1/admin/releases/${made.body.id}`, { status: 'draft' })).body),
    ).toEqual(['status']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mine()).toHaveLength(1);
    expect((await admin.delete(`/api/v1/admin/releases/${made.body.id}`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/admin/releases/${made.body.id}`)).status).toBe(404);
  });

  it('shows a note only to the plans and roles of its audience, and emits it only there', async () => {
    const enterprise = await admin.post<Body>(
      '/api/v1/admin/releases',
      note({ title: 'Enterprise SSO', audience: { plans: ['enterprise'], roles: [] } }),
    );
    const owners = await admin.post<Body>(
      '/api/v1/admin/releases',
      note({ title: 'Owners only', audience: { plans: [], roles: ['owner'] } }),
    );
    for (const made of [enterprise, owners])
      expect((await admin.post(`/api/v1/admin/releases/${made.body.id}/publish`, {})).status).toBe(200);
    const titles = async (client: ApiClient) =>
      (await releasesOf(client, team.workspaceId)).body.items.map((n: Body) => n.title);
    expect(await titles(team.member.client)).not.toContain('Enterprise SSO');
    expect(await titles(team.member.client)).not.toContain('Owners only');
    expect(await titles(team.owner.client)).toContain('Owners only');
    const events = await until(
      () =>
        team.owner.client.get<Body>(`/api/v1/workspaces/${team.workspaceId}/events?name=release.published`),
      (r) => r.body.items.some((e: Body) => e.data.noteId === owners.body.id),
    );
    const noteIds = events.body.items.map((e: Body) => e.data.noteId);
    expect(noteIds).not.toContain(enterprise.body.id);
    const ownersEvent = events.body.items.find((e: Body) => e.data.noteId === owners.body.id);
    expect(ownersEvent.data.recipients).toEqual([team.owner.account.email]);
    // Marking a note one cannot see does nothing.
    await team.member.client.post(`/api/v1/workspaces/${team.workspaceId}/releases/read`, {
      noteIds: [owners.body.id],
    });
    expect(
      await server.db
        .knex('release_reads')
        .where({ note_id: owners.body.id, user_id: team.member.account.userId }),
    ).toEqual([]);
  });

  it('serves the public notes as Atom and RSS, without drafts or audience-limited notes', async () => {
    const open = await admin.post<Body>(
      '/api/v1/admin/releases',
      note({ title: 'Public & <loud>', body: 'Hello <script>alert(1)</script>' }),
    );
    await admin.post(`/api/v1/admin/releases/${open.body.id}/publish`, {});
    await admin.post<Body>('/api/v1/admin/releases', note({ title: 'Secret draft' }));
    const anonymous = server.client();
    const atom = await anonymous.get('/api/v1/releases/feed.atom');
    expect(atom.status).toBe(200);
    expect(atom.headers.get('content-type')).toContain('application/atom+xml');
    expect(atom.text).toContain('Public &amp; &lt;loud&gt;');
    expect(atom.text).not.toContain('Secret draft');
    expect(atom.text).not.toContain('Enterprise SSO');
    expect(atom.text).not.toContain('<script>');
    const rss = await anonymous.get('/api/v1/releases/feed.rss');
    expect(rss.headers.get('content-type')).toContain('application/rss+xml');
    expect(rss.text).toContain('<rss');
    expect(rss.text).toContain('Public &amp; &lt;loud&gt;');
  });

  it('answers bad input with a 400 naming the field', async () => {
    expect(
      invalidFields((await admin.post('/api/v1/admin/releases', note({ category: 'bogus' }))).body),
    ).toEqual(['body.category']);
    expect(
      invalidFields((await admin.post('/api/v1/admin/releases', note({ status: 'scheduled' }))).body),
    ).toEqual(['scheduledAt']);
    const past = await admin.post(
      '/api/v1/admin/releases',
      note({ status: 'scheduled', scheduledAt: '2020-01-01T00:00:00Z' }),
    );
    expect(past.status).toBe(400);
    expect(
      invalidFields(
        (await admin.post('/api/v1/admin/releases', note({ audience: { plans: ['platinum'], roles: [] } })))
          .body,
      ),
    ).toEqual(['body.audience.plans.0']);
    expect((await admin.post('/api/v1/admin/releases', note({ title: 'a\u0000b' }))).status).toBe(400);
    expect((await admin.post(`/api/v1/admin/releases/not-a-uuid/publish`, {})).status).toBe(400);
    expect((await admin.post(`/api/v1/admin/releases/${crypto.randomUUID()}/publish`, {})).status).toBe(404);
    // Another workspace's changelog is not found, not forbidden.
    expect((await releasesOf(team.member.client, team.outsider.account.workspaceId)).status).toBe(404);
  });
});
