/**
 * Accounts under attack (issue 11, item 14, and new attacks): weak passwords, sign-up as an
 * oracle of which emails exist, password guessing that must slow the guesser without locking
 * the owner out, session fixation, CSRF, API-key scope and invitation races. All over HTTP.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignupResult } from '../api/auth/routes.js';
import {
  createTeam,
  newAccountDetails,
  startApi,
  type ApiClient,
  type ProblemBody,
  type Team,
  type TestApi,
} from './helpers/api.js';

const mails: Array<{ to: string[]; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      mails.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString(),
      });
      callback();
    });
  },
});

let server: TestApi;
let team: Team;
const LOGIN_DELAY_MS = 300;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  server = await startApi({
    settings: {
      // Client addresses from X-Forwarded-For, so one test can be several people.
      trustProxy: 1,
      accountMail: { smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Revflow <no-reply@revflow.test>' },
      rateLimits: { loginFailuresPerEmail: 3, loginDelayMs: LOGIN_DELAY_MS },
    },
  });
  team = await createTeam(server);
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** Log in from a client address of our choosing (the server trusts X-Forwarded-For here). */
function login(api: TestApi, email: string, password: string, ip = '192.0.2.10') {
  return api
    .client()
    .post<ProblemBody>('/api/v1/auth/login', { email, password }, { headers: { 'x-forwarded-for': ip } });
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('passwords (item 14)', () => {
  it.each(['password12', 'Password123!', 'qwertyuiop12', 'iloveyou2024', 'abcdefgh12'])(
    'refuses the guessable %s with a reason naming the field',
    async (password) => {
      const answer = await server.client().post('/api/v1/auth/signup', newAccountDetails({ password }));
      expect(answer.status).toBe(400);
      expect(answer.body.invalidParams).toEqual([
        {
          name: 'body.password',
          reason: expect.stringMatching(/too easy to guess|most common|at least/) as string,
        },
      ]);
    },
  );

  it('accepts a long passphrase, and checks invitation passwords the same way', async () => {
    const answer = await server
      .client()
      .post('/api/v1/auth/signup', newAccountDetails({ password: 'violet canal drums 1987' }));
    expect(answer.status).toBe(201);
    const invitation = await team.owner.client.post<{ acceptUrl: string }>(
      `/api/v1/workspaces/${team.workspaceId}/invitations`,
      { email: `weak-${Date.now()}@example.com`, role: 'member' },
    );
    expect(invitation.status, invitation.text).toBe(201);
    const token = new URL(invitation.body.acceptUrl).pathname.split('/').pop() ?? '';
    const weak = await server
      .client()
      .post(`/api/v1/invitations/${token}/accept`, { name: 'Weak', password: 'password12' });
    expect(weak.status).toBe(400);
    expect(weak.body.invalidParams?.[0]?.name).toBe('body.password');
  });
});

describe('sign-up does not tell which emails have accounts (item 14)', () => {
  it('answers a taken email exactly like a new one, changes nothing, and tells the owner by email', async () => {
    const owner = team.owner.account;
    const fresh = await server.client().post<SignupResult>('/api/v1/auth/signup', newAccountDetails());
    const intruder = server.client();
    const taken = await intruder.post<SignupResult>(
      '/api/v1/auth/signup',
      newAccountDetails({ email: owner.email.toUpperCase(), password: 'intruder Chose this 77' }),
    );
    expect(taken.status).toBe(fresh.status);
    expect(Object.keys(taken.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(Object.keys(taken.body.workspace).sort()).toEqual(Object.keys(fresh.body.workspace).sort());
    expect(taken.setCookies.length).toBe(fresh.setCookies.length);
    expect(taken.headers.get('content-type')).toBe(fresh.headers.get('content-type'));
    // Nothing was made or changed: the cookie opens nothing, the owner's password still works.
    expect((await intruder.get('/api/v1/me')).status).toBe(401);
    expect((await server.client().login(owner.email, 'intruder Chose this 77')).status).toBe(401);
    expect((await server.client().login(owner.email, owner.password)).status).toBe(200);
    // The real owner hears about it.
    const deadline = Date.now() + 5_000;
    while (!mails.some((mail) => mail.to.includes(owner.email)) && Date.now() < deadline) await sleep(50);
    const notice = mails.find((mail) => mail.to.includes(owner.email));
    expect(notice?.raw).toMatch(/already has one/);
    expect(notice?.raw).not.toContain('intruder Chose this 77');
  });
});

describe('password guessing slows the guesser, never locks the owner out (item 14)', () => {
  it('makes each attempt after the free failures wait, right password included, and counts unknown emails alike', async () => {
    const victim = await server.client().signup();
    const nobody = `nobody-${Date.now()}@example.com`;
    for (const email of [victim.email, nobody]) {
      for (let attempt = 1; attempt <= 3; attempt++)
        expect((await login(server, email, 'wrong Password 123')).status, `${email} #${attempt}`).toBe(401);
      const held = await login(server, email, victim.password);
      expect(held.status, email).toBe(429);
      expect(held.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(held.body.detail).toMatch(/failed login attempts for this email/);
    }
    // After the short wait the owner gets in, and that clears the count.
    await sleep(LOGIN_DELAY_MS * 2 + 50);
    expect((await login(server, victim.email, victim.password)).status).toBe(200);
    expect((await login(server, victim.email, 'wrong Password 123')).status).toBe(401);
  });

  it('after a long attack the owner, elsewhere, waits seconds — the guesser keeps doubling', async () => {
    const base = 50;
    const api = await startApi({
      settings: { trustProxy: 1, rateLimits: { loginFailuresPerEmail: 3, loginDelayMs: base } },
    });
    try {
      const victim = await api.client().signup();
      // The guesser waits out every delay and fails each time: nine wrong passwords.
      for (let failures = 0; failures < 9;) {
        const answer = await login(api, victim.email, `guess ${failures} Password`, '203.0.113.66');
        if (answer.status === 429) {
          await sleep(Number(answer.headers.get('retry-after')) * 1000 + 20);
          continue;
        }
        expect(answer.status).toBe(401);
        failures += 1;
      }
      const guesser = await login(api, victim.email, victim.password, '203.0.113.66');
      const owner = await login(api, victim.email, victim.password, '198.51.100.7');
      expect(guesser.status).toBe(429);
      expect(owner.status).toBe(429);
      const guesserWait = Number(guesser.headers.get('retry-after'));
      const ownerWait = Number(owner.headers.get('retry-after'));
      // Per account the wait is capped at 32 × the base (1.6 s); from the guesser's address it
      // doubles on (3.2 s after nine failures, up to the 15-minute window).
      expect(ownerWait).toBeLessThanOrEqual(Math.ceil((base * 32) / 1000));
      expect(guesserWait).toBeGreaterThan(ownerWait);
      await sleep(ownerWait * 1000 + 50);
      expect((await login(api, victim.email, victim.password, '198.51.100.7')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('sessions, CSRF and API keys (new attacks)', () => {
  it('ignores a planted session cookie: logging in issues a new token, the planted one opens nothing', async () => {
    const account = await server.client().signup();
    const planted = server.client();
    const login = await planted.request(
      'POST',
      '/api/v1/auth/login',
      { email: account.email, password: account.password },
      {
        headers: { cookie: 'revflow_session=attacker-chosen-value' },
      },
    );
    expect(login.status).toBe(200);
    expect(planted.sessionCookie).toBeDefined();
    expect(planted.sessionCookie).not.toBe('attacker-chosen-value');
    const fixed = await server
      .client()
      .get('/api/v1/me', { headers: { cookie: 'revflow_session=attacker-chosen-value' } });
    expect(fixed.status).toBe(401);
  });

  it('refuses cross-site cookie requests shaped as simple form posts, and keeps the session', async () => {
    const member = team.member.client;
    const cookie = `revflow_session=${member.sessionCookie ?? ''}`;
    const target = `${server.baseUrl}/api/v1/workspaces/${team.workspaceId}/api-keys`;
    const attempts: Array<Record<string, string>> = [
      { cookie, 'content-type': 'text/plain' },
      { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.test' },
      { cookie, 'content-type': 'application/json', origin: 'null' },
      { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const answer = await fetch(target, {
        method: 'POST',
        headers,
        body: '{"name":"csrf","role":"member"}',
      });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    const logout = await fetch(`${server.baseUrl}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(logout.status).toBe(403);
    expect((await member.get('/api/v1/me')).status).toBe(200);
    const keys = await team.admin.client.get<{ items: Array<{ name: string }> }>(
      `/api/v1/workspaces/${team.workspaceId}/api-keys`,
    );
    expect(keys.body.items.map((key) => key.name)).not.toContain('csrf');
  });

  it('holds API keys to their workspace and role, and no key mints a stronger one', async () => {
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    const make = async (client: ApiClient, role: string): Promise<string> => {
      const created = await client.post<{ key: string }>(`${base}/api-keys`, { name: `${role} key`, role });
      expect(created.status, created.text).toBe(201);
      return created.body.key;
    };
    const viewerKey = server.keyClient(await make(team.admin.client, 'viewer'));
    const memberKey = server.keyClient(await make(team.member.client, 'member'));
    expect((await team.member.client.post(`${base}/api-keys`, { name: 'up', role: 'admin' })).status).toBe(
      403,
    );
    expect((await viewerKey.patch(base, { name: 'Renamed by a viewer key' })).status).toBe(403);
    expect((await viewerKey.get(base)).status).toBe(200);
    expect((await viewerKey.get(`${base}/credentials`)).status).toBe(403);
    // Keys never mint keys (they need a person), never reach another workspace, never act as a user.
    expect((await memberKey.post(`${base}/api-keys`, { name: 'child', role: 'member' })).status).toBe(403);
    expect((await memberKey.get(`/api/v1/workspaces/${team.outsider.account.workspaceId}`)).status).toBe(404);
    expect((await memberKey.get('/api/v1/me')).status).toBe(403);
    expect((await memberKey.get(`${base}/credentials`)).status).toBe(200);
    expect(
      (await memberKey.post(`${base}/credentials`, { name: 'k', type: 'bearer', data: { token: 't' } }))
        .status,
    ).toBe(403);
    // A key in the query string, or a cookie-style key, is not a credential.
    const anonymous = server.client();
    expect((await anonymous.get(`${base}?api_key=${encodeURIComponent('rf_live_x')}`)).status).toBe(401);
  });

  it('lets one of two racing accepts of an invitation win, and refuses a logged-in person with another email', async () => {
    const email = `race-${Date.now()}@example.com`;
    const invitation = await team.owner.client.post<{ acceptUrl: string }>(
      `/api/v1/workspaces/${team.workspaceId}/invitations`,
      { email, role: 'viewer' },
    );
    const token = new URL(invitation.body.acceptUrl).pathname.split('/').pop() ?? '';
    const stranger = await team.outsider.client.post(`/api/v1/invitations/${token}/accept`, {});
    expect(stranger.status).toBe(403);
    const racers = await Promise.all(
      ['violet canal drums 11', 'amber forest kite 22'].map((password, index) =>
        server.client().post(`/api/v1/invitations/${token}/accept`, { name: `Racer ${index}`, password }),
      ),
    );
    expect(racers.map((answer) => answer.status).sort()).toEqual([200, 410].sort());
    const users = await server.db.knex('users').where({ email });
    expect(users).toHaveLength(1);
  });

  it('answers no CORS preflight from a foreign origin, so a page elsewhere cannot send the CSRF header', async () => {
    const preflight = await fetch(`${server.baseUrl}/api/v1/workspaces/${team.workspaceId}/api-keys`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-revflow-csrf',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('does not take X-Forwarded-For from a client unless the deployment trusts a proxy', async () => {
    const api = await startApi({
      settings: { rateLimits: { loginFailuresPerEmail: 2, loginDelayMs: 60_000 } },
    });
    try {
      const victim = await api.client().signup();
      // Two failures "from" two addresses: without trust proxy both are the real client address.
      expect((await login(api, victim.email, 'wrong Password 1', '198.51.100.1')).status).toBe(401);
      expect((await login(api, victim.email, 'wrong Password 2', '198.51.100.2')).status).toBe(401);
      const spoofed = await login(api, victim.email, 'wrong Password 3', '198.51.100.3');
      expect(spoofed.status).toBe(429);
      // The per-address wait (a minute, doubling) applies: the guesser gained nothing by spoofing.
      expect(Number(spoofed.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    } finally {
      await api.close();
    }
  });
});
