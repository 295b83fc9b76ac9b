import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidFields, startApi, type Account, type ApiClient, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/** The SMTP sink: every message the deployment mailer (SMTP_URL) handed over. */
const received: Array<{ to: string[]; raw: string; messageId: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw,
        messageId: /^message-id:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? '',
      });
      callback();
    });
  },
});

const ADMIN_EMAIL = `board-admin-${Date.now()}@revflow.example`;
const SECOND_ADMIN = `board-admin2-${Date.now()}@revflow.example`;
let server: TestApi;
let admin: ApiClient;
let admin2: ApiClient;
const saved = { ...process.env };

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 800));

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  process.env.REVFLOW_ADMIN_EMAILS = `${ADMIN_EMAIL},${SECOND_ADMIN}`;
  process.env.REVFLOW_RELEASES_SWEEP_MS = '200';
  // With the engine: platform events are delivered as the API process delivers them.
  server = await startApi({ engine: true });
  admin = server.client();
  await admin.signup({ email: ADMIN_EMAIL });
  admin2 = server.client();
  await admin2.signup({ email: SECOND_ADMIN });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  process.env = saved;
});

/** A person with a workspace of their own: the board is the instance's, shared by every workspace. */
async function person(): Promise<{ client: ApiClient; account: Account; base: string }> {
  const client = server.client();
  const account = await client.signup();
  return { client, account, base: `/api/v1/workspaces/${account.workspaceId}/feedback` };
}
async function statusOf(kind: string): Promise<string> {
  const row = await server.db
    .knex('feedback_statuses')
    .where({ kind, builtin: true })
    .first<{ id: string }>('id');
  return row.id;
}
async function publishedNote(title: string): Promise<string> {
  const made = await admin.post<Body>('/api/v1/admin/releases', { title, body: 'Shipped.', category: 'new' });
  expect((await admin.post(`/api/v1/admin/releases/${made.body.id}/publish`, {})).status).toBe(200);
  return made.body.id as string;
}
const mailTo = (email: string) => received.filter((message) => message.to.includes(email));

describe('feedback board', () => {
  it('an idea is voted, linked to a release, shipped, and its voters get the email once', async () => {
    const author = await person();
    const voter = await person();
    const idea = await author.client.post<Body>(author.base, {
      kind: 'idea',
      text: 'Dark mode for the run log',
      page: '/w/x/runs',
    });
    expect(idea.status).toBe(201);
    expect(idea.body).toMatchObject({
      kind: 'idea',
      title: 'Dark mode for the run log',
      votes: 1,
      voted: true,
      mine: true,
      page: '/w/x/runs',
    });
    const created = await until(
      () =>
        author.client.get<Body>(
          `/api/v1/workspaces/${author.account.workspaceId}/events?name=feedback.created`,
        ),
      (r) => r.body.items.length > 0,
    );
    expect(created.body.items[0].data).toMatchObject({ postId: idea.body.id, kind: 'idea' });

    // Another workspace's person sees the idea and votes — twice, counted once.
    const voted = await voter.client.post<Body>(`${voter.base}/posts/${idea.body.id}/votes`, {});
    expect(voted.body).toMatchObject({ votes: 2, voted: true, mine: false });
    expect((await voter.client.post<Body>(`${voter.base}/posts/${idea.body.id}/votes`, {})).body.votes).toBe(
      2,
    );
    const twice = await Promise.all(
      [1, 2, 3].map(() => voter.client.post<Body>(`${voter.base}/posts/${idea.body.id}/votes`, {})),
    );
    expect(twice.map((r) => r.body.votes)).toEqual([2, 2, 2]);

    const noteId = await publishedNote('Dark run log');
    const shipped = await admin.patch<Body>(`/api/v1/admin/feedback/posts/${idea.body.id}`, {
      statusId: await statusOf('shipped'),
      releaseNoteId: noteId,
    });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({
      status: { kind: 'shipped' },
      release: { id: noteId, published: true },
    });

    for (const who of [author, voter]) {
      const mail = await until(
        async () => mailTo(who.account.email),
        (m) => m.length > 0,
      );
      expect(mail).toHaveLength(1);
      expect(mail[0]?.raw).toContain('Dark mode for the run log');
      expect(mail[0]?.raw).toContain(`/releases/${noteId}`);
      const inbox = await who.client.get<Body>(`${who.base}/notifications`);
      expect(inbox.body.items).toEqual([
        expect.objectContaining({ postId: idea.body.id, releaseNoteId: noteId, read: false }),
      ]);
    }
    // Back and forth: planned, shipped again — nobody is told twice.
    await admin.patch(`/api/v1/admin/feedback/posts/${idea.body.id}`, {
      statusId: await statusOf('planned'),
    });
    await admin.patch(`/api/v1/admin/feedback/posts/${idea.body.id}`, {
      statusId: await statusOf('shipped'),
    });
    await settle();
    expect(mailTo(author.account.email)).toHaveLength(1);
    expect(mailTo(voter.account.email)).toHaveLength(1);
    expect((await voter.client.get<Body>(`${voter.base}/notifications`)).body.items).toHaveLength(1);
    const changes = await until(
      () =>
        author.client.get<Body>(
          `/api/v1/workspaces/${author.account.workspaceId}/events?name=feedback.status_changed`,
        ),
      (r) => r.body.items.length >= 3,
    );
    expect(changes.body.items.map((e: Body) => e.data.to.kind).sort()).toEqual([
      'planned',
      'shipped',
      'shipped',
    ]);
  });

  it('two admins shipping at once tell each voter once; shipping with a scheduled note waits for it', async () => {
    const author = await person();
    const idea = await author.client.post<Body>(author.base, { kind: 'idea', text: 'CSV export of runs' });
    const voters = await Promise.all([person(), person(), person()]);
    for (const v of voters) await v.client.post(`${v.base}/posts/${idea.body.id}/votes`, {});
    const shippedId = await statusOf('shipped');
    const both = await Promise.all([
      admin.patch<Body>(`/api/v1/admin/feedback/posts/${idea.body.id}`, { statusId: shippedId }),
      admin2.patch<Body>(`/api/v1/admin/feedback/posts/${idea.body.id}`, { statusId: shippedId }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    for (const who of [author, ...voters])
      await until(
        async () => mailTo(who.account.email),
        (m) => m.length > 0,
      );
    await settle();
    for (const who of [author, ...voters]) expect(mailTo(who.account.email)).toHaveLength(1);

    // A post shipped with a note not out yet: told when the note publishes itself.
    const later = await author.client.post<Body>(author.base, { kind: 'idea', text: 'Slack alerts' });
    const note = await admin.post<Body>('/api/v1/admin/releases', {
      title: 'Slack alerts',
      body: 'Now in Slack.',
      category: 'new',
      status: 'scheduled',
      scheduledAt: new Date(Date.now() + 1200).toISOString(),
    });
    const linked = await admin.patch<Body>(`/api/v1/admin/feedback/posts/${later.body.id}`, {
      statusId: shippedId,
      releaseNoteId: note.body.id,
    });
    expect(linked.body.release).toMatchObject({ published: false });
    // Users do not see a link to a note that is not out.
    expect((await author.client.get<Body>(`${author.base}/posts/${later.body.id}`)).body.release).toBeNull();
    await settle();
    expect(mailTo(author.account.email).filter((m) => m.raw.includes('Slack alerts'))).toHaveLength(0);
    const told = await until(
      async () => mailTo(author.account.email).filter((m) => m.raw.includes('Slack alerts')),
      (m) => m.length > 0,
    );
    expect(told).toHaveLength(1);
  }, 30_000);

  it('merges duplicates: votes move, nobody votes twice, the duplicate leaves the board', async () => {
    const [a, b, c] = await Promise.all([person(), person(), person()]);
    const first = await a.client.post<Body>(a.base, { kind: 'idea', text: 'Bulk edit of tasks' });
    const second = await c.client.post<Body>(c.base, { kind: 'idea', text: 'Edit many tasks at once' });
    await b.client.post(`${b.base}/posts/${first.body.id}/votes`, {});
    await b.client.post(`${b.base}/posts/${second.body.id}/votes`, {});
    const merged = await admin.post<Body>(`/api/v1/admin/feedback/posts/${first.body.id}/merge`, {
      intoId: second.body.id,
    });
    expect(merged.status).toBe(200);
    expect(merged.body.votes).toBe(3);
    const voters = await admin.get<Body>(`/api/v1/admin/feedback/posts/${second.body.id}/voters`);
    expect(voters.body.items.map((v: Body) => v.email).sort()).toEqual(
      [a.account.email, b.account.email, c.account.email].sort(),
    );
    const board = await b.client.get<Body>(`${b.base}/posts?sort=new`);
    expect(board.body.items.map((p: Body) => p.id)).not.toContain(first.body.id);
    const stale = await b.client.post<Body>(`${b.base}/posts/${first.body.id}/votes`, {});
    expect(stale.status).toBe(409);
    expect(
      (await admin.post(`/api/v1/admin/feedback/posts/${first.body.id}/merge`, { intoId: second.body.id }))
        .status,
    ).toBe(409);
    expect(
      invalidFields(
        (
          await admin.post<Body>(`/api/v1/admin/feedback/posts/${second.body.id}/merge`, {
            intoId: second.body.id,
          })
        ).body,
      ),
    ).toEqual(['intoId']);
  });

  it('shows users only ideas and their own posts, and never another user’s email', async () => {
    const [alice, bob] = await Promise.all([person(), person()]);
    const problem = await alice.client.post<Body>(alice.base, {
      kind: 'problem',
      text: 'Our invoice to ACME failed',
      page: '/w/1/billing',
    });
    const idea = await alice.client.post<Body>(alice.base, { kind: 'idea', text: 'Webhook retries UI' });
    await bob.client.post(`${bob.base}/posts/${idea.body.id}/comments`, { body: 'Yes please' });
    const adminWorkspace = (await admin.get<Body>('/api/v1/me')).body.workspaces[0].id;
    await admin.post(`/api/v1/workspaces/${adminWorkspace}/feedback/posts/${idea.body.id}/comments`, {
      body: 'On our list',
    });
    expect((await bob.client.get(`${bob.base}/posts/${problem.body.id}`)).status).toBe(404);
    const bobBoard = await bob.client.get<Body>(`${bob.base}/posts?sort=new`);
    expect(bobBoard.body.items.map((p: Body) => p.id)).not.toContain(problem.body.id);
    const detail = await bob.client.get<Body>(`${bob.base}/posts/${idea.body.id}`);
    expect(detail.body.commentList.map((c: Body) => c.author)).toEqual(['You', 'Revflow team']);
    const everything = JSON.stringify([bobBoard.body, detail.body]);
    expect(everything).not.toContain(alice.account.email);
    expect(everything).not.toContain(ADMIN_EMAIL);
    expect(everything).not.toContain('"author"' + ':{');
    expect((await bob.client.get(`/api/v1/admin/feedback/posts/${idea.body.id}/voters`)).status).toBe(403);
    expect((await alice.client.get<Body>(`${alice.base}/posts/${problem.body.id}`)).body.mine).toBe(true);
    const adminView = await admin.get<Body>('/api/v1/admin/feedback/posts?kind=problem');
    expect(adminView.body.items.find((p: Body) => p.id === problem.body.id).author.email).toBe(
      alice.account.email,
    );
  });

  it('refuses members doing an admin’s job, forged votes, foreign workspaces and bad input', async () => {
    const [alice, bob] = await Promise.all([person(), person()]);
    const idea = await alice.client.post<Body>(alice.base, { kind: 'idea', text: 'Zapier import' });
    const shipped = await statusOf('shipped');
    expect(
      (await bob.client.patch(`/api/v1/admin/feedback/posts/${idea.body.id}`, { statusId: shipped })).status,
    ).toBe(403);
    expect(
      (await bob.client.post(`/api/v1/admin/feedback/posts/${idea.body.id}/merge`, { intoId: idea.body.id }))
        .status,
    ).toBe(403);
    expect(
      (await bob.client.post('/api/v1/admin/feedback/statuses', { name: 'Mine', kind: 'shipped' })).status,
    ).toBe(403);
    // A vote in someone else's name is not a thing: the body takes no fields.
    expect(
      (await bob.client.post(`${bob.base}/posts/${idea.body.id}/votes`, { userId: alice.account.userId }))
        .status,
    ).toBe(400);
    // Bob through Alice's workspace: not found.
    expect((await bob.client.post(`${alice.base}/posts/${idea.body.id}/votes`, {})).status).toBe(404);
    expect((await bob.client.post(`${alice.base}`, { kind: 'idea', text: 'x' })).status).toBe(404);
    const key = await alice.client.post<Body>(`/api/v1/workspaces/${alice.account.workspaceId}/api-keys`, {
      name: 'k',
      role: 'member',
    });
    expect(
      (await server.keyClient(key.body.key).post(`${alice.base}/posts/${idea.body.id}/votes`, {})).status,
    ).toBe(403);
    const praise = await alice.client.post<Body>(alice.base, { kind: 'praise', text: 'Love it' });
    expect(
      invalidFields((await alice.client.post(`${alice.base}/posts/${praise.body.id}/votes`, {})).body),
    ).toEqual(['postId']);
    expect(invalidFields((await alice.client.post(alice.base, { kind: 'rant', text: 'x' })).body)).toEqual([
      'body.kind',
    ]);
    expect(invalidFields((await alice.client.post(alice.base, { kind: 'idea', text: '' })).body)).toEqual([
      'body.text',
    ]);
    expect(invalidFields((await alice.client.post(alice.base, { kind: 'idea', text: '   ' })).body)).toEqual([
      'text',
    ]);
    expect((await alice.client.post(alice.base, { kind: 'idea', text: 'a\u0000b' })).status).toBe(400);
    expect((await alice.client.post(alice.base, { kind: 'idea', text: 'x'.repeat(5001) })).status).toBe(400);
    expect((await alice.client.get(`${alice.base}/posts/${crypto.randomUUID()}`)).status).toBe(404);
    expect(
      invalidFields(
        (
          await admin.patch<Body>(`/api/v1/admin/feedback/posts/${idea.body.id}`, {
            statusId: crypto.randomUUID(),
          })
        ).body,
      ),
    ).toEqual(['statusId']);
    expect(
      (await alice.client.post(alice.base, { kind: 'idea', text: 'lone \ud800 surrogate' })).status,
    ).toBe(400);
    let deep: unknown = 'x';
    for (let level = 0; level < 200; level += 1) deep = { deep };
    expect((await alice.client.post(alice.base, { kind: 'idea', text: 'deep', title: deep })).status).toBe(
      400,
    );
    // Someone else's notification cannot be read (marked) by Bob.
    const notification = await server.db
      .knex('feedback_notifications')
      .whereNot({ user_id: bob.account.userId })
      .first<{ id: string } | undefined>('id');
    expect(notification).toBeDefined();
    expect((await bob.client.post(`${bob.base}/notifications/${notification?.id}/read`, {})).status).toBe(
      404,
    );
    // Hostile text is kept as text: the API returns it verbatim as JSON, the canvas renders it as text.
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const xss = await alice.client.post<Body>(alice.base, { kind: 'idea', text: hostile });
    expect(xss.body.body).toBe(hostile);
    await bob.client.post(`${bob.base}/posts/${xss.body.id}/comments`, { body: hostile });
    const withComment = await alice.client.get<Body>(`${alice.base}/posts/${xss.body.id}`);
    expect(withComment.body.commentList).toEqual([
      expect.objectContaining({ body: hostile, author: 'A Revflow user' }),
    ]);
  });

  it('stops one person flooding the board: 30 posts an hour', async () => {
    const { client, base } = await person();
    const made = await Promise.all(
      Array.from({ length: 30 }, (_, n) => client.post(base, { kind: 'problem', text: `Report ${n}` })),
    );
    expect(made.every((response) => response.status === 201)).toBe(true);
    const flood = await client.post<Body>(base, { kind: 'idea', text: 'One more' });
    expect(flood.status).toBe(429);
    expect(flood.body.detail).toContain('30 posts an hour');
  });

  it('lets admins add custom status names on the fixed kinds', async () => {
    const added = await admin.post<Body>('/api/v1/admin/feedback/statuses', {
      name: 'Under review',
      kind: 'planned',
    });
    expect(added.status).toBe(201);
    expect(
      (await admin.post('/api/v1/admin/feedback/statuses', { name: 'Under review', kind: 'open' })).status,
    ).toBe(409);
    expect(
      invalidFields(
        (await admin.post('/api/v1/admin/feedback/statuses', { name: 'Gone', kind: 'vanished' })).body,
      ),
    ).toEqual(['body.kind']);
    const renamed = await admin.patch<Body>(`/api/v1/admin/feedback/statuses/${added.body.id}`, {
      name: 'Being reviewed',
    });
    expect(renamed.body).toMatchObject({ name: 'Being reviewed', kind: 'planned' });
    const { client, base } = await person();
    const statuses = await client.get<Body>(`${base}/statuses`);
    expect(statuses.body.items.map((s: Body) => s.kind)).toEqual(
      expect.arrayContaining(['open', 'planned', 'in_progress', 'shipped', 'declined']),
    );
    expect(statuses.body.items.find((s: Body) => s.id === added.body.id).name).toBe('Being reviewed');
  });
});
