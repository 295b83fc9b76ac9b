import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../api/http/logging.js';
import { sha256 } from '../api/auth/tokens.js';
import type { ApiKeyWithSecret } from '../api/auth/api-key-routes.js';
import type { Me, SignupResult } from '../api/auth/routes.js';
import type { InvitationWithLink } from '../api/workspaces/schemas.js';
import { newAccountDetails, startApi, type ProblemBody, type TestApi } from './helpers/api.js';

describe('accounts and sessions', () => {
  let server: TestApi;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger('info', { write: (line: string) => void logLines.push(line) });
    server = await startApi({ logger });
  });
  afterAll(() => server?.close());

  describe('signing up', () => {
    it('creates the user, a Free workspace they own, and logs them in', async () => {
      const client = server.client();
      const details = newAccountDetails({ name: 'Ada Lovelace' });
      const response = await client.post<SignupResult>('/api/v1/auth/signup', details);
      expect(response.status).toBe(201);
      expect(response.body.user).toMatchObject({ email: details.email, name: 'Ada Lovelace' });
      expect(response.body.workspace).toMatchObject({
        name: "Ada Lovelace's workspace",
        plan: 'free',
        role: 'owner',
      });
      const me = await client.get<Me>('/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.workspaces).toEqual([
        expect.objectContaining({ id: response.body.workspace.id, role: 'owner' }),
      ]);
    });

    it('sets the session cookie httpOnly, SameSite=Lax, on the whole site, not Secure over plain http', async () => {
      const response = await server.client().post('/api/v1/auth/signup', newAccountDetails());
      const cookie = response.setCookies.find((line) => line.startsWith('revflow_session='));
      expect(cookie).toBeDefined();
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).toMatch(/; Path=\//i);
      expect(cookie).toMatch(/; Expires=/i);
      expect(cookie).not.toMatch(/; Secure/i);
    });

    it('marks the cookie Secure when Revflow is served over https', async () => {
      const https = await startApi({ settings: { publicUrl: 'https://revflow.example.com' } });
      try {
        const response = await https.client().post('/api/v1/auth/signup', newAccountDetails());
        expect(response.setCookies.find((line) => line.startsWith('revflow_session='))).toMatch(/; Secure/i);
      } finally {
        await https.close();
      }
    });

    it('stores only the hash of the session token and an argon2id hash of the password', async () => {
      const client = server.client();
      const account = await client.signup();
      const token = decodeURIComponent(client.sessionCookie ?? '');
      const sessions = await server.db
        .knex<{ token_hash: string; user_id: string }>('sessions')
        .where({ user_id: account.userId });
      expect(sessions.map((session) => session.token_hash)).toEqual([sha256(token)]);
      expect(JSON.stringify(sessions)).not.toContain(token);
      const user = await server.db
        .knex('users')
        .where({ id: account.userId })
        .first<{ password_hash: string }>();
      expect(user.password_hash).toMatch(/^\$argon2id\$/);
      expect(user.password_hash).not.toContain(account.password);
    });

    it('trims and lowercases the email, and makes no second account for the same email in another case', async () => {
      const unique = Math.random().toString(36).slice(2, 8);
      const first = await server
        .client()
        .post<SignupResult>(
          '/api/v1/auth/signup',
          newAccountDetails({ email: `  Mixed.${unique}@Example.COM ` }),
        );
      expect(first.status).toBe(201);
      expect(first.body.user.email).toBe(`mixed.${unique}@example.com`);
      const second = server.client();
      const again = await second.post<SignupResult>(
        '/api/v1/auth/signup',
        newAccountDetails({ email: `MIXED.${unique}@example.com` }),
      );
      // The same answer as a new account (issue 11: sign-up tells nobody which emails exist),
      // but no account, workspace or session was made.
      expect(again.status).toBe(201);
      expect(again.body.user.email).toBe(`mixed.${unique}@example.com`);
      expect(again.body.user.id).not.toBe(first.body.user.id);
      expect((await second.get('/api/v1/me')).status).toBe(401);
      const users = await server.db.knex('users').where({ email: `mixed.${unique}@example.com` });
      expect(users).toHaveLength(1);
    });

    it('names every wrong field of the body', async () => {
      const response = await server
        .client()
        .post('/api/v1/auth/signup', { email: 'not-an-email', password: 'correct Horse battery 9' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.invalidParams).toEqual(
        expect.arrayContaining([
          { name: 'body.email', reason: 'Enter a valid email address' },
          expect.objectContaining({ name: 'body.name' }),
        ]),
      );
    });

    it.each([
      ['is shorter than 10 characters', 'Short1!', 'at least 10 characters'],
      ['is one character repeated', 'aaaaaaaaaaaa', 'one character repeated'],
      ['uses one kind of character only', 'onlylowercaseletters', 'two kinds of character'],
      ['is a well-known password', 'Password123', 'most common passwords'],
      ['contains the email address', 'grace.hopper-2024', 'must not contain your email'],
    ])('refuses a password that %s, saying why', async (_case, password, reason) => {
      const response = await server
        .client()
        .post('/api/v1/auth/signup', newAccountDetails({ email: 'grace.hopper@example.com', password }));
      expect(response.status).toBe(400);
      expect(response.body.invalidParams).toEqual([
        { name: 'body.password', reason: expect.stringContaining(reason) as string },
      ]);
    });

    it('answers 429 problem+json after too many sign-ups from one address', async () => {
      const limited = await startApi({ settings: { rateLimits: { signupPerIp: 2 } } });
      try {
        const client = limited.client();
        expect((await client.post('/api/v1/auth/signup', newAccountDetails())).status).toBe(201);
        expect((await client.post('/api/v1/auth/signup', newAccountDetails())).status).toBe(201);
        const third = await client.post('/api/v1/auth/signup', newAccountDetails());
        expect(third.status).toBe(429);
        expect(third.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(third.body).toMatchObject({ status: 429, title: 'Too many requests' });
      } finally {
        await limited.close();
      }
    });
  });

  describe('logging in', () => {
    it('logs in with the right password, whatever the case of the email, and lists the workspaces', async () => {
      const account = await server.client().signup();
      const client = server.client();
      const response = await client.login(account.email.toUpperCase(), account.password);
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(account.userId);
      expect(response.body.workspaces).toEqual([
        expect.objectContaining({ id: account.workspaceId, role: 'owner' }),
      ]);
      expect(client.sessionCookie).toBeDefined();
      expect((await client.get('/api/v1/me')).status).toBe(200);
    });

    it('gives the same answer for a wrong password and for an unknown email', async () => {
      const account = await server.client().signup();
      const wrongPassword = await server.client().login<ProblemBody>(account.email, 'not the password 1');
      const unknownEmail = await server
        .client()
        .login<ProblemBody>('nobody-here@example.com', 'not the password 1');
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expect(wrongPassword.body.detail).toBe('Email or password is wrong');
      expect(unknownEmail.body).toEqual({ ...wrongPassword.body });
      expect(wrongPassword.setCookies).toEqual([]);
    });

    it('names the missing field', async () => {
      const response = await server.client().post('/api/v1/auth/login', { email: 'someone@example.com' });
      expect(response.status).toBe(400);
      expect(response.body.invalidParams).toEqual([expect.objectContaining({ name: 'body.password' })]);
    });

    it('starts a new session on every login and ends the one the browser had', async () => {
      const client = server.client();
      const account = await client.signup();
      const before = client.sessionCookie;
      expect((await client.login(account.email, account.password)).status).toBe(200);
      expect(client.sessionCookie).not.toBe(before);
      const stale = server.client();
      const response = await stale.get('/api/v1/me', { headers: { cookie: `revflow_session=${before}` } });
      expect(response.status).toBe(401);
    });

    it('logs failures as security events, and never a password, a session token or an invitation token', async () => {
      const client = server.client();
      const account = await client.signup();
      await server.client().login(account.email, 'Wrong password 123');
      await client.get('/api/v1/me');
      const invitation = await client.post<InvitationWithLink>(
        `/api/v1/workspaces/${account.workspaceId}/invitations`,
        {
          email: 'invitee@example.com',
          role: 'member',
        },
      );
      const invitationToken = new URL(invitation.body.acceptUrl).pathname.split('/').pop() ?? '';
      await server.client().get(`/api/v1/invitations/${invitationToken}`);
      await server.client().post(`/api/v1/invitations/${invitationToken}/accept`, {});
      const log = logLines.join('');
      expect(log).toContain('"event":"auth.login_failed"');
      expect(log).toContain(account.email);
      expect(log).not.toContain('Wrong password 123');
      expect(log).not.toContain(account.password);
      expect(log).not.toContain(client.sessionCookie);
      expect(log).not.toContain(invitationToken);
      expect(log).toContain('/api/v1/invitations/[redacted]/accept');
      expect(log).toContain('[redacted]');
    });

    it('answers 429 after too many failed logins for one email, even with the right password', async () => {
      // A minute's wait after three failures: the fourth attempt is surely inside it.
      const limited = await startApi({
        settings: { rateLimits: { loginFailuresPerEmail: 3, loginDelayMs: 60_000 } },
      });
      try {
        const account = await limited.client().signup();
        const other = await limited.client().signup();
        for (let attempt = 0; attempt < 3; attempt++) {
          expect((await limited.client().login(account.email, 'Wrong password 123')).status).toBe(401);
        }
        const blocked = await limited.client().login<ProblemBody>(account.email, account.password);
        expect(blocked.status).toBe(429);
        expect(blocked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(blocked.body.detail).toMatch(/failed login attempts for this email/);
        // Another account from the same address is not locked out.
        expect((await limited.client().login(other.email, other.password)).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('logging out', () => {
    it('ends the session: the cookie is cleared and the token stops working', async () => {
      const client = server.client();
      await client.signup();
      const token = client.sessionCookie;
      const response = await client.post('/api/v1/auth/logout');
      expect(response.status).toBe(204);
      expect(response.setCookies.find((line) => line.startsWith('revflow_session='))).toMatch(
        /Expires=Thu, 01 Jan 1970/,
      );
      expect(client.sessionCookie).toBeUndefined();
      const replay = await server
        .client()
        .get('/api/v1/me', { headers: { cookie: `revflow_session=${token}` } });
      expect(replay.status).toBe(401);
    });

    it('is a harmless no-op without a session', async () => {
      expect((await server.client().post('/api/v1/auth/logout')).status).toBe(204);
    });
  });

  describe('GET /api/v1/me', () => {
    it('answers 401 problem+json without a session', async () => {
      const response = await server.client().get('/api/v1/me');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('answers 401 for an expired session', async () => {
      const client = server.client();
      const account = await client.signup();
      await server.db
        .knex('sessions')
        .where({ user_id: account.userId })
        .update({ expires_at: new Date(Date.now() - 1000) });
      expect((await client.get('/api/v1/me')).status).toBe(401);
    });

    it('answers 403 for an API key: keys belong to a workspace, not a person', async () => {
      const client = server.client();
      const account = await client.signup();
      const created = await client.post<ApiKeyWithSecret>(
        `/api/v1/workspaces/${account.workspaceId}/api-keys`,
        { name: 'ci', role: 'member' },
      );
      const response = await server.keyClient(created.body.key).get('/api/v1/me');
      expect(response.status).toBe(403);
      expect(response.body.detail).toMatch(/API keys cannot use it/);
    });
  });

  describe('CSRF protection of cookie sessions', () => {
    async function loggedIn(csrf: boolean): Promise<ReturnType<TestApi['client']>> {
      const client = server.client({ csrf });
      await server
        .client()
        .signup()
        .then((account) => client.login(account.email, account.password));
      return client;
    }

    it('refuses a cookie-authenticated POST that does not show where it comes from', async () => {
      const client = await loggedIn(false);
      const response = await client.post('/api/v1/workspaces', { name: 'Sneaky' });
      expect(response.status).toBe(403);
      expect(response.body.type).toBe('https://revflow.dev/problems/csrf');
      expect(response.body.detail).toContain('X-Revflow-CSRF: 1');
    });

    it('accepts it with the X-Revflow-CSRF header, Sec-Fetch-Site: same-origin, or this server as Origin', async () => {
      const client = await loggedIn(false);
      const viaHeader = await client.post(
        '/api/v1/workspaces',
        { name: 'A' },
        { headers: { 'x-revflow-csrf': '1' } },
      );
      const viaFetchSite = await client.post(
        '/api/v1/workspaces',
        { name: 'B' },
        { headers: { 'sec-fetch-site': 'same-origin' } },
      );
      const viaOrigin = await client.post(
        '/api/v1/workspaces',
        { name: 'C' },
        { headers: { origin: server.baseUrl } },
      );
      expect([viaHeader.status, viaFetchSite.status, viaOrigin.status]).toEqual([201, 201, 201]);
    });

    it('refuses a foreign Origin and a cross-site fetch', async () => {
      const client = await loggedIn(false);
      const foreign = await client.post(
        '/api/v1/workspaces',
        { name: 'X' },
        { headers: { origin: 'https://evil.example' } },
      );
      const crossSite = await client.post(
        '/api/v1/workspaces',
        { name: 'Y' },
        { headers: { 'sec-fetch-site': 'cross-site' } },
      );
      expect([foreign.status, crossSite.status]).toEqual([403, 403]);
    });

    it('leaves reads alone', async () => {
      const client = await loggedIn(false);
      expect((await client.get('/api/v1/me')).status).toBe(200);
    });

    it('does not apply to API keys, which browsers never send on their own', async () => {
      const owner = server.client();
      const account = await owner.signup();
      const created = await owner.post<ApiKeyWithSecret>(
        `/api/v1/workspaces/${account.workspaceId}/api-keys`,
        { name: 'bot', role: 'admin' },
      );
      const bot = server.keyClient(created.body.key);
      const response = await bot.patch(`/api/v1/workspaces/${account.workspaceId}`, {
        name: 'Renamed by a key',
      });
      expect(response.status).toBe(200);
    });
  });

  it('refuses a Bearer credential that is not a live API key, saying so', async () => {
    const response = await server.keyClient('rf_live_notarealkey').get('/api/v1/workspaces');
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('The API key is not valid or has been revoked');
  });
});
