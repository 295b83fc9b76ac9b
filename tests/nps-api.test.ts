import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import { validateWorkflow } from '../engine/validate.js';
import { createNodeRegistry } from '../nodes/index.js';
import {
  feedbackTemplates,
  npsDetractorTemplate,
  npsPromoterTemplate,
} from '../canvas/templates/feedback.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type Account,
  type ApiClient,
  type TestApi,
} from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

const DAY_MS = 86_400_000;
const ADMIN_EMAIL = `nps-admin-${Date.now()}@revflow.example`;
let server: TestApi;
const received: Array<{ to: string[]; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      received.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});
const saved = { ...process.env };

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
  server = await startApi({ engine: true });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  process.env = saved;
});

beforeEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('REVFLOW_NPS_')) delete process.env[key];
});

/** Someone who signed up `days` ago, with a workspace of their own. */
async function person(days = 30): Promise<{ client: ApiClient; account: Account }> {
  const client = server.client();
  const account = await client.signup();
  await server.db
    .knex('users')
    .where({ id: account.userId })
    .update({ created_at: new Date(Date.now() - days * DAY_MS) });
  return { client, account };
}
const nps = (account: Account) => `/api/v1/workspaces/${account.workspaceId}/nps`;

async function workflowFrom(client: ApiClient, workspaceId: string, document: unknown): Promise<string> {
  const base = `/api/v1/workspaces/${workspaceId}`;
  const created = await client.post<Body>(`${base}/workflows`, document);
  expect(created.status).toBe(201);
  expect((await client.post(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(201);
  expect((await client.post(`${base}/workflows/${created.body.id}/activate`)).status).toBe(200);
  return created.body.id as string;
}

describe('NPS survey', () => {
  it('asks only after N days, resumes an open survey, answers once, and then not again for 90 days', async () => {
    const fresh = await person(0);
    expect((await fresh.client.get<Body>(`${nps(fresh.account)}/survey`)).body).toMatchObject({
      eligible: false,
      reason: 'too_new',
    });
    expect((await fresh.client.post<Body>(`${nps(fresh.account)}/displays`, {})).status).toBe(409);

    const { client, account } = await person(30);
    expect((await client.get<Body>(`${nps(account)}/survey`)).body).toEqual({ eligible: true });
    const shown = await client.post<Body>(`${nps(account)}/displays`, {});
    expect(shown.status).toBe(201);
    // A reload while the modal is open offers the same survey, not a new one.
    expect((await client.get<Body>(`${nps(account)}/survey`)).body).toEqual({
      eligible: true,
      displayId: shown.body.displayId,
    });

    const answer = await client.post<Body>(`${nps(account)}/displays/${shown.body.displayId}/response`, {
      score: 6,
      comment: 'Too slow',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ score: 6, category: 'detractor', created: true });
    const again = await client.post<Body>(`${nps(account)}/displays/${shown.body.displayId}/response`, {
      score: 10,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: answer.body.id, score: 6, created: false });
    const events = await until(
      () => client.get<Body>(`/api/v1/workspaces/${account.workspaceId}/events?name=nps.responded`),
      (response) => response.body.items.length > 0,
    );
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0].data).toMatchObject({
      score: 6,
      category: 'detractor',
      comment: 'Too slow',
      userId: account.userId,
    });

    const after = await client.get<Body>(`${nps(account)}/survey`);
    expect(after.body).toMatchObject({ eligible: false, reason: 'answered_recently' });
    expect(new Date(after.body.until).getTime()).toBeGreaterThan(Date.now() + 89 * DAY_MS);
    expect((await client.post(`${nps(account)}/displays`, {})).status).toBe(409);
  });

  it('keeps a global waiting period after any survey and rests it after repeated dismissals', async () => {
    const { client, account } = await person(30);
    const knex = server.db.knex;
    for (let round = 1; round <= 3; round += 1) {
      const shown = await client.post<Body>(`${nps(account)}/displays`, {});
      expect(shown.status).toBe(201);
      const dismissed = await client.post<Body>(
        `${nps(account)}/displays/${shown.body.displayId}/dismiss`,
        {},
      );
      expect(dismissed.body).toEqual({ dismissals: round });
      expect((await client.get<Body>(`${nps(account)}/survey`)).body).toMatchObject({
        eligible: false,
        reason: 'waiting_period',
      });
      // Eight days pass: the 7-day waiting period is over.
      await knex('survey_displays')
        .where({ user_id: account.userId })
        .update({ created_at: knex.raw("created_at - interval '8 days'") });
    }
    // Three dismissals in a row: no more asking for the resurvey period.
    expect((await client.get<Body>(`${nps(account)}/survey`)).body).toMatchObject({
      eligible: false,
      reason: 'dismissed',
    });
  });

  it('gives two tabs opening at once one survey, and a stale display no second answer', async () => {
    const { client, account } = await person(30);
    const [one, two] = await Promise.all([
      client.post<Body>(`${nps(account)}/displays`, {}),
      client.post<Body>(`${nps(account)}/displays`, {}),
    ]);
    expect(one.body.displayId).toBe(two.body.displayId);
    // A display from a month ago, never closed (say, a laptop that slept), is not a second chance to answer.
    const knex = server.db.knex;
    const [stale] = await knex('survey_displays')
      .insert({
        survey: 'nps',
        user_id: account.userId,
        workspace_id: account.workspaceId,
        created_at: new Date(Date.now() - 30 * DAY_MS),
      })
      .returning('id');
    expect(
      (await client.post(`${nps(account)}/displays/${one.body.displayId}/response`, { score: 8 })).status,
    ).toBe(201);
    const late = await client.post<Body>(`${nps(account)}/displays/${stale.id}/response`, { score: 0 });
    expect(late.status).toBe(409);
    expect(await knex('nps_responses').where({ user_id: account.userId })).toHaveLength(1);
  });

  it('follows the REVFLOW_NPS_* settings', async () => {
    const { client, account } = await person(0);
    process.env.REVFLOW_NPS_MIN_DAYS_AFTER_SIGNUP = '0';
    expect((await client.get<Body>(`${nps(account)}/survey`)).body).toEqual({ eligible: true });
    process.env.REVFLOW_NPS_ENABLED = 'false';
    expect((await client.get<Body>(`${nps(account)}/survey`)).body).toEqual({
      eligible: false,
      reason: 'disabled',
    });
  });

  it('a detractor answer creates a task for the account owner through the template; a promoter gets the review request', async () => {
    for (const template of feedbackTemplates)
      expect(validateWorkflow(template.document, createNodeRegistry()).issues).toEqual([]);
    const team = await createTeam(server);
    await workflowFrom(team.owner.client, team.workspaceId, npsDetractorTemplate.document);
    await workflowFrom(team.owner.client, team.workspaceId, npsPromoterTemplate.document);
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    await server.db.knex('users').update({ created_at: new Date(Date.now() - 30 * DAY_MS) });

    const member = team.member.client;
    const shown = await member.post<Body>(`${base}/nps/displays`, {});
    await member.post(`${base}/nps/displays/${shown.body.displayId}/response`, {
      score: 2,
      comment: 'The editor lost my work',
    });
    const tasks = await until(
      () => team.owner.client.get<Body>(`${base}/tasks`),
      (r) => r.body.items.length > 0,
    );
    expect(tasks.body.items).toHaveLength(1);
    expect(tasks.body.items[0]).toMatchObject({
      title: `NPS 2/10 from ${team.member.account.name}: follow up`,
      priority: 'high',
      assignee: team.owner.account.email,
    });
    expect(tasks.body.items[0].description).toContain('The editor lost my work');

    const viewer = team.viewer.client;
    const promoterShown = await viewer.post<Body>(`${base}/nps/displays`, {});
    await viewer.post(`${base}/nps/displays/${promoterShown.body.displayId}/response`, { score: 10 });
    const mail = await until(
      async () => received.filter((m) => m.to.includes(team.viewer.account.email)),
      (m) => m.length > 0,
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]?.raw).toContain('revflow.example/review');
    // Still one task: the promoter's answer is not a detractor's.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await team.owner.client.get<Body>(`${base}/tasks`)).body.items).toHaveLength(1);
  }, 30_000);

  it('refuses forged, foreign and malformed answers', async () => {
    const alice = await person(30);
    const mallory = await person(30);
    const shown = await alice.client.post<Body>(`${nps(alice.account)}/displays`, {});
    const path = `${nps(alice.account)}/displays/${shown.body.displayId}/response`;
    // Mallory answers Alice's survey: through her own workspace the display is not hers, through Alice's the workspace is not.
    expect(
      (
        await mallory.client.post(`${nps(mallory.account)}/displays/${shown.body.displayId}/response`, {
          score: 0,
        })
      ).status,
    ).toBe(404);
    expect((await mallory.client.post(path, { score: 0 })).status).toBe(404);
    expect(invalidFields((await alice.client.post(path, { score: 11 })).body)).toEqual(['body.score']);
    expect(invalidFields((await alice.client.post(path, { score: 7.5 })).body)).toEqual(['body.score']);
    expect(invalidFields((await alice.client.post(path, { score: '9' })).body)).toEqual(['body.score']);
    expect(
      (await alice.client.post(path, { score: 9, category: 'promoter', userId: mallory.account.userId }))
        .status,
    ).toBe(400);
    expect((await alice.client.post(path, { score: 9, comment: 'x'.repeat(2001) })).status).toBe(400);
    expect(
      (await alice.client.post(`${nps(alice.account)}/displays/not-a-uuid/response`, { score: 9 })).status,
    ).toBe(400);
    const key = await alice.client.post<Body>(`/api/v1/workspaces/${alice.account.workspaceId}/api-keys`, {
      name: 'k',
      role: 'member',
    });
    expect((await server.keyClient(key.body.key).post(path, { score: 10 })).status).toBe(403);
    // After all that, Alice's one real answer still counts once.
    const real = await alice.client.post<Body>(path, { score: 9, comment: '<script>alert(1)</script>' });
    expect(real.status).toBe(201);
    expect(await server.db.knex('nps_responses').where({ display_id: shown.body.displayId })).toHaveLength(1);
  });

  it('shows instance admins NPS = %promoters − %detractors, by plan and workspace, with comments', async () => {
    const admin = server.client();
    await admin.signup({ email: ADMIN_EMAIL });
    const knex = server.db.knex;
    await knex('nps_responses').delete();
    const scores = [10, 9, 8, 3];
    for (const [index, score] of scores.entries()) {
      const { client, account } = await person(30);
      // The first person's workspace is on Enterprise (its billing account made first).
      if (index === 0) await billingFor(knex).accounts.get(account.workspaceId);
      if (index === 0)
        await knex('billing_accounts')
          .where({ workspace_id: account.workspaceId })
          .update({ status: 'active', plan_id: 'enterprise' });
      const shown = await client.post<Body>(`${nps(account)}/displays`, {});
      await client.post(`${nps(account)}/displays/${shown.body.displayId}/response`, {
        score,
        ...(score === 3 ? { comment: 'Pricing' } : {}),
      });
    }
    const results = await admin.get<Body>('/api/v1/admin/nps?days=30');
    expect(results.status).toBe(200);
    expect(results.body).toMatchObject({ responses: 4, promoters: 2, passives: 1, detractors: 1, nps: 25 });
    expect(results.body.byPlan).toEqual([
      { plan: 'enterprise', responses: 1, promoters: 1, passives: 0, detractors: 0, nps: 100 },
      { plan: 'professional', responses: 3, promoters: 1, passives: 1, detractors: 1, nps: 0 },
    ]);
    expect(results.body.byWorkspace).toHaveLength(4);
    expect(results.body.overTime.reduce((sum: number, week: Body) => sum + week.responses, 0)).toBe(4);
    expect(results.body.comments).toEqual([
      expect.objectContaining({ score: 3, category: 'detractor', comment: 'Pricing' }),
    ]);
    const { client } = await person(30);
    expect((await client.get('/api/v1/admin/nps')).status).toBe(403);
    expect(invalidFields((await admin.get('/api/v1/admin/nps?days=0')).body)).toEqual(['query.days']);
  });
});
