import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyWithSecret } from '../api/auth/api-key-routes.js';
import type { Me } from '../api/auth/routes.js';
import type { AcceptedInvitation } from '../api/workspaces/invitation-token-routes.js';
import type {
  InvitationPreview,
  InvitationView,
  InvitationWithLink,
  WorkspaceView,
} from '../api/workspaces/schemas.js';
import {
  createTeam,
  invalidFields,
  newAccountDetails,
  startApi,
  type ApiClient,
  type ApiResponse,
  type List,
  type Team,
  type TestApi,
} from './helpers/api.js';

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

describe('invitations', () => {
  let server: TestApi;
  let team: Team;
  let invitations: string;

  beforeAll(async () => {
    server = await startApi();
    team = await createTeam(server);
    // Room for the many invitations below; the seat tests use Free workspaces of their own.
    await server.db.knex('workspaces').where({ id: team.workspaceId }).update({ plan: 'enterprise' });
    invitations = `/api/v1/workspaces/${team.workspaceId}/invitations`;
  });
  afterAll(() => server?.close());

  const tokenOf = (invitation: { acceptUrl: string }): string =>
    new URL(invitation.acceptUrl).pathname.split('/').pop() ?? '';
  const freshEmail = (): string => newAccountDetails().email;

  async function invite(
    role = 'member',
    email = freshEmail(),
    by: ApiClient = team.admin.client,
    url = invitations,
  ): Promise<InvitationWithLink> {
    const response = await by.post<InvitationWithLink>(url, { email, role });
    if (response.status !== 201) throw new Error(`invite answered ${response.status}: ${response.text}`);
    return response.body;
  }

  describe('inviting', () => {
    it('creates a pending invitation that expires in 7 days and returns its link once', async () => {
      const before = Date.now();
      const response = await team.admin.client.post<InvitationWithLink>(invitations, {
        email: '  New.Person@Example.com ',
        role: 'member',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        email: 'new.person@example.com',
        role: 'member',
        status: 'pending',
        sendCount: 1,
      });
      expect(response.body.invitedBy).toBe(team.admin.account.name);
      expect(response.body.acceptUrl).toMatch(/^http:\/\/localhost:3000\/invitations\/[A-Za-z0-9_-]{43}$/);
      const expiresIn = new Date(response.body.expiresAt).getTime() - before;
      expect(expiresIn).toBeGreaterThan(SEVEN_DAYS_MS - 60_000);
      expect(expiresIn).toBeLessThan(SEVEN_DAYS_MS + 60_000);
      const list = await team.admin.client.get(invitations);
      expect(list.text).not.toContain(tokenOf(response.body));
    });

    it('stores only a hash of the token', async () => {
      const invitation = await invite();
      const rows = await server.db.knex('invitations').where({ workspace_id: team.workspaceId });
      expect(JSON.stringify(rows)).not.toContain(tokenOf(invitation));
    });

    it('names the wrong fields', async () => {
      const response = await team.admin.client.post(invitations, { email: 'nope', role: 'boss' });
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['body.email', 'body.role']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider', async () => {
      const body = { email: freshEmail(), role: 'viewer' };
      expect((await server.client().post(invitations, body)).status).toBe(401);
      expect((await team.member.client.post(invitations, body)).status).toBe(403);
      const outsider = await team.outsider.client.post(invitations, body);
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain('Team workspace');
    });

    it('lets only owners invite owners', async () => {
      const byAdmin = await team.admin.client.post(invitations, { email: freshEmail(), role: 'owner' });
      expect(byAdmin.status).toBe(403);
      expect((await team.owner.client.post(invitations, { email: freshEmail(), role: 'owner' })).status).toBe(
        201,
      );
    });

    it('refuses to invite a member or someone already invited', async () => {
      const member = await team.admin.client.post(invitations, {
        email: team.viewer.account.email,
        role: 'member',
      });
      expect(member.status).toBe(409);
      expect(member.body.reason).toBe('already_member');
      const invitation = await invite();
      const again = await team.admin.client.post(invitations, { email: invitation.email, role: 'admin' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ reason: 'already_invited', invitationId: invitation.id });
    });
  });

  describe('listing', () => {
    it('shows every invitation with its status, filtered on request', async () => {
      const kept = await invite();
      const revoked = await invite();
      await team.admin.client.delete(`${invitations}/${revoked.id}`);
      const all = await team.admin.client.get<List<InvitationView>>(invitations);
      expect(all.status).toBe(200);
      expect(all.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: kept.id, status: 'pending' }),
          expect.objectContaining({ id: revoked.id, status: 'revoked' }),
        ]),
      );
      const pending = await team.admin.client.get<List<InvitationView>>(`${invitations}?status=pending`);
      expect(pending.body.items.every((item) => item.status === 'pending')).toBe(true);
    });

    it('names a wrong filter', async () => {
      const response = await team.admin.client.get(`${invitations}?status=lost`);
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['query.status']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider', async () => {
      expect((await server.client().get(invitations)).status).toBe(401);
      expect((await team.member.client.get(invitations)).status).toBe(403);
      const outsider = await team.outsider.client.get(invitations);
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain('@example.com');
    });
  });

  describe('previewing (public)', () => {
    it('shows the workspace, the inviter, the role and the status to anyone with the link', async () => {
      const invitation = await invite('viewer');
      const response = await server
        .client()
        .get<InvitationPreview>(`/api/v1/invitations/${tokenOf(invitation)}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        workspace: { name: 'Team workspace' },
        inviter: team.admin.account.name,
        email: invitation.email,
        role: 'viewer',
        status: 'pending',
        expiresAt: invitation.expiresAt,
      });
    });

    it('answers 404 for an unknown token and names a malformed one', async () => {
      expect((await server.client().get(`/api/v1/invitations/${'x'.repeat(43)}`)).status).toBe(404);
      const malformed = await server.client().get('/api/v1/invitations/short');
      expect(malformed.status).toBe(400);
      expect(invalidFields(malformed.body)).toEqual(['params.token']);
    });
  });

  describe('accepting', () => {
    it('creates the account of a new person, logs them in and makes them a member with the invited role', async () => {
      const invitation = await invite('member');
      const newcomer = server.client();
      const response = await newcomer.post<AcceptedInvitation>(
        `/api/v1/invitations/${tokenOf(invitation)}/accept`,
        {
          name: 'New Comer',
          password: 'a fine Password 77',
        },
      );
      expect(response.status).toBe(200);
      expect(response.body.user).toMatchObject({ email: invitation.email, name: 'New Comer' });
      expect(response.body.workspace).toMatchObject({ id: team.workspaceId, role: 'member' });
      expect(newcomer.sessionCookie).toBeDefined();
      const me = await newcomer.get<Me>('/api/v1/me');
      expect(me.body.workspaces).toEqual([expect.objectContaining({ id: team.workspaceId, role: 'member' })]);
      const preview = await server
        .client()
        .get<InvitationPreview>(`/api/v1/invitations/${tokenOf(invitation)}`);
      expect(preview.body.status).toBe('accepted');
    });

    it('adds an existing, logged-in person with the invited email', async () => {
      const person = server.client();
      const account = await person.signup();
      const invitation = await invite('admin', account.email);
      const response = await person.post<AcceptedInvitation>(
        `/api/v1/invitations/${tokenOf(invitation)}/accept`,
      );
      expect(response.status).toBe(200);
      expect(response.body.workspace).toMatchObject({ id: team.workspaceId, role: 'admin' });
      expect(response.setCookies).toEqual([]);
      expect((await person.get<WorkspaceView>(`/api/v1/workspaces/${team.workspaceId}`)).body.role).toBe(
        'admin',
      );
    });

    it('refuses a logged-in person whose email is not the invited one', async () => {
      const invitation = await invite();
      const response = await team.outsider.client.post(`/api/v1/invitations/${tokenOf(invitation)}/accept`);
      expect(response.status).toBe(403);
      expect(response.body.detail).toContain(invitation.email);
    });

    it('asks an existing person to log in rather than creating a second account', async () => {
      const account = await server.client().signup();
      const invitation = await invite('member', account.email);
      const response = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {
        name: 'Someone',
        password: 'another Password 1',
      });
      expect(response.status).toBe(409);
      expect(response.body.reason).toBe('account_exists');
    });

    it('names what a new account is missing or gets wrong', async () => {
      const invitation = await invite();
      const missing = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {});
      expect(missing.status).toBe(400);
      expect(invalidFields(missing.body)).toEqual(['body.name', 'body.password']);
      const local = invitation.email.split('@')[0] ?? '';
      const weak = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {
        name: 'Someone',
        password: `${local}-X1`,
      });
      expect(weak.body.invalidParams).toEqual([
        { name: 'body.password', reason: 'Password must not contain your email address' },
      ]);
    });

    it('refuses an API key: people accept invitations', async () => {
      const { body: key } = await team.admin.client.post<ApiKeyWithSecret>(
        `/api/v1/workspaces/${team.workspaceId}/api-keys`,
        {
          name: 'k',
          role: 'admin',
        },
      );
      const invitation = await invite();
      const response = await server
        .keyClient(key.key)
        .post(`/api/v1/invitations/${tokenOf(invitation)}/accept`);
      expect(response.status).toBe(403);
    });

    it('refuses a token already used, with the reason', async () => {
      const invitation = await invite();
      const url = `/api/v1/invitations/${tokenOf(invitation)}/accept`;
      expect(
        (await server.client().post(url, { name: 'First', password: 'opening Password 11' })).status,
      ).toBe(200);
      const reuse = await server.client().post(url, { name: 'Second', password: 'closing Password 22' });
      expect(reuse.status).toBe(410);
      expect(reuse.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reuse.body).toMatchObject({
        status: 410,
        reason: 'accepted',
        detail: expect.stringContaining('already been accepted') as string,
      });
    });

    it('refuses an expired token, with the reason', async () => {
      const invitation = await invite();
      await server.db
        .knex('invitations')
        .where({ id: invitation.id })
        .update({ expires_at: new Date(Date.now() - 1000) });
      const response = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {
        name: 'Late',
        password: 'too late Password 3',
      });
      expect(response.status).toBe(410);
      expect(response.body).toMatchObject({
        reason: 'expired',
        detail: expect.stringContaining('expired') as string,
      });
      expect(
        (await server.client().get<InvitationPreview>(`/api/v1/invitations/${tokenOf(invitation)}`)).body
          .status,
      ).toBe('expired');
    });

    it('refuses a revoked token, with the reason', async () => {
      const invitation = await invite();
      expect((await team.admin.client.delete(`${invitations}/${invitation.id}`)).status).toBe(204);
      const response = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {
        name: 'Revoked',
        password: 'revoked Password 4',
      });
      expect(response.status).toBe(410);
      expect(response.body.reason).toBe('revoked');
    });
  });

  describe('resending', () => {
    it('makes a new link and a new 7-day expiry; the old link stops working', async () => {
      const invitation = await invite();
      await server.db
        .knex('invitations')
        .where({ id: invitation.id })
        .update({ expires_at: new Date(Date.now() + 1000) });
      const response = await team.admin.client.post<InvitationWithLink>(
        `${invitations}/${invitation.id}/resend`,
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: invitation.id, status: 'pending', sendCount: 2 });
      expect(tokenOf(response.body)).not.toBe(tokenOf(invitation));
      expect(new Date(response.body.expiresAt).getTime()).toBeGreaterThan(
        Date.now() + SEVEN_DAYS_MS - 60_000,
      );
      expect((await server.client().get(`/api/v1/invitations/${tokenOf(invitation)}`)).status).toBe(404);
      expect((await server.client().get(`/api/v1/invitations/${tokenOf(response.body)}`)).status).toBe(200);
    });

    it('revives an expired invitation', async () => {
      const invitation = await invite();
      await server.db
        .knex('invitations')
        .where({ id: invitation.id })
        .update({ expires_at: new Date(Date.now() - 1000) });
      const response = await team.admin.client.post<InvitationWithLink>(
        `${invitations}/${invitation.id}/resend`,
      );
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('pending');
    });

    it('refuses a revoked invitation, with the reason', async () => {
      const invitation = await invite();
      await team.admin.client.delete(`${invitations}/${invitation.id}`);
      const response = await team.admin.client.post(`${invitations}/${invitation.id}/resend`);
      expect(response.status).toBe(409);
      expect(response.body.reason).toBe('revoked');
    });

    it('names a malformed invitation id', async () => {
      const response = await team.admin.client.post(`${invitations}/123/resend`);
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['params.invitationId']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider', async () => {
      const invitation = await invite();
      const url = `${invitations}/${invitation.id}/resend`;
      expect((await server.client().post(url)).status).toBe(401);
      expect((await team.member.client.post(url)).status).toBe(403);
      const outsider = await team.outsider.client.post(url);
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain(invitation.email);
      const viaOwn = await team.outsider.client.post(
        `/api/v1/workspaces/${team.outsider.account.workspaceId}/invitations/${invitation.id}/resend`,
      );
      expect(viaOwn.status).toBe(404);
    });
  });

  describe('revoking', () => {
    it('refuses an accepted invitation: remove the member instead', async () => {
      const invitation = await invite();
      const accepted = await server.client().post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, {
        name: 'Joined',
        password: 'member Password 5',
      });
      expect(accepted.status).toBe(200);
      const response = await team.admin.client.delete(`${invitations}/${invitation.id}`);
      expect(response.status).toBe(409);
      expect(response.body.reason).toBe('accepted');
    });

    it('names a malformed invitation id', async () => {
      const response = await team.admin.client.delete(`${invitations}/nope`);
      expect(invalidFields(response.body)).toEqual(['params.invitationId']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider', async () => {
      const invitation = await invite();
      const url = `${invitations}/${invitation.id}`;
      expect((await server.client().delete(url)).status).toBe(401);
      expect((await team.member.client.delete(url)).status).toBe(403);
      expect((await team.outsider.client.delete(url)).status).toBe(404);
      const viaOwn = await team.outsider.client.delete(
        `/api/v1/workspaces/${team.outsider.account.workspaceId}/invitations/${invitation.id}`,
      );
      expect(viaOwn.status).toBe(404);
      expect(
        (await server.client().get<InvitationPreview>(`/api/v1/invitations/${tokenOf(invitation)}`)).body
          .status,
      ).toBe('pending');
    });
  });

  describe('seat limits', () => {
    it('counts members and pending invitations against the plan when inviting', async () => {
      // A fresh Free workspace: 3 seats, the owner holds one.
      const owner = server.client();
      const account = await owner.signup();
      const url = `/api/v1/workspaces/${account.workspaceId}/invitations`;
      expect((await owner.post(url, { email: freshEmail(), role: 'member' })).status).toBe(201);
      const second = await owner.post<InvitationWithLink>(url, { email: freshEmail(), role: 'member' });
      expect(second.status).toBe(201);
      const third = await owner.post(url, { email: freshEmail(), role: 'member' });
      expect(third.status).toBe(402);
      expect(third.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(third.body).toMatchObject({ plan: 'free', seatLimit: 3, seatsUsed: 3 });
      expect(third.body.detail).toMatch(/The Free plan has 3 seats/);
      // Revoking an invitation frees its seat.
      await owner.delete(`${url}/${second.body.id}`);
      expect((await owner.post(url, { email: freshEmail(), role: 'member' })).status).toBe(201);
    });

    it('checks the seats again when accepting, for a plan that shrank since the invitation', async () => {
      const owner = server.client();
      const account = await owner.signup();
      await server.db.knex('workspaces').where({ id: account.workspaceId }).update({ plan: 'starter' });
      const url = `/api/v1/workspaces/${account.workspaceId}/invitations`;
      // Starter: 5 seats, so the owner can invite four people.
      const first = await invite('viewer', freshEmail(), owner, url);
      const second = await invite('viewer', freshEmail(), owner, url);
      const third = await invite('viewer', freshEmail(), owner, url);
      await invite('viewer', freshEmail(), owner, url);
      await server.db.knex('workspaces').where({ id: account.workspaceId }).update({ plan: 'free' });
      const accept = (invitation: InvitationWithLink, name: string): Promise<ApiResponse> =>
        server
          .client()
          .post(`/api/v1/invitations/${tokenOf(invitation)}/accept`, { name, password: 'seat Password 99' });
      expect((await accept(first, 'One')).status).toBe(200);
      expect((await accept(second, 'Two')).status).toBe(200);
      const refused = await accept(third, 'Three');
      expect(refused.status).toBe(402);
      expect(refused.body).toMatchObject({ plan: 'free', seatLimit: 3 });
      // Nothing was half done: no member, no account, the invitation still pending.
      expect(
        (await server.client().get<InvitationPreview>(`/api/v1/invitations/${tokenOf(third)}`)).body.status,
      ).toBe('pending');
      expect(await server.db.knex('users').where({ email: third.email }).first()).toBeUndefined();
    });
  });
});
