import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyWithSecret } from '../api/auth/api-key-routes.js';
import type { MemberView, WorkspaceSummary, WorkspaceView } from '../api/workspaces/schemas.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type List,
  type Member,
  type Team,
  type TestApi,
} from './helpers/api.js';

describe('workspaces and members', () => {
  let server: TestApi;
  let team: Team;
  let ws: string;

  beforeAll(async () => {
    server = await startApi();
    team = await createTeam(server);
    ws = `/api/v1/workspaces/${team.workspaceId}`;
  });
  afterAll(() => server?.close());

  /** Someone new in the team's workspace with a role, for tests that change or remove people. */
  async function joins(role: 'viewer' | 'member' | 'admin' | 'owner'): Promise<Member> {
    const client = server.client();
    const account = await client.signup();
    await server.db
      .knex('memberships')
      .insert({ workspace_id: team.workspaceId, user_id: account.userId, role });
    return { client, account };
  }

  describe('GET /api/v1/workspaces', () => {
    it('lists the workspaces I belong to, with my role in each', async () => {
      const response = await team.admin.client.get<List<WorkspaceSummary>>('/api/v1/workspaces');
      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(2);
      expect(response.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: team.admin.account.workspaceId, role: 'owner' }),
          expect.objectContaining({ id: team.workspaceId, role: 'admin', name: 'Team workspace' }),
        ]),
      );
    });

    it('answers 401 without a session', async () => {
      expect((await server.client().get('/api/v1/workspaces')).status).toBe(401);
    });
  });

  describe('POST /api/v1/workspaces', () => {
    it('creates a Free workspace owned by me', async () => {
      const response = await team.viewer.client.post<WorkspaceSummary>('/api/v1/workspaces', {
        name: 'Side project',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        name: 'Side project',
        slug: 'side-project',
        plan: 'free',
        role: 'owner',
      });
      const again = await team.member.client.post<WorkspaceSummary>('/api/v1/workspaces', {
        name: 'Side project',
      });
      expect(again.body.slug).toMatch(/^side-project-[0-9a-f]{6}$/);
    });

    it('names the wrong field', async () => {
      const response = await team.viewer.client.post('/api/v1/workspaces', { name: '   ' });
      expect(response.status).toBe(400);
      expect(response.body.invalidParams).toEqual([{ name: 'body.name', reason: 'Enter a workspace name' }]);
    });

    it('answers 401 without a session and 403 for an API key', async () => {
      expect((await server.client().post('/api/v1/workspaces', { name: 'x' })).status).toBe(401);
      const { body } = await team.admin.client.post<ApiKeyWithSecret>(`${ws}/api-keys`, {
        name: 'k',
        role: 'admin',
      });
      expect((await server.keyClient(body.key).post('/api/v1/workspaces', { name: 'x' })).status).toBe(403);
    });
  });

  describe('GET /api/v1/workspaces/:workspaceId', () => {
    it('shows the workspace, my role and its seats', async () => {
      const response = await team.viewer.client.get<WorkspaceView>(ws);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: team.workspaceId, role: 'viewer', plan: 'professional' });
      expect(response.body.seats).toEqual({ limit: 20, members: 4, pendingInvitations: 0, used: 4 });
    });

    it('answers 401 without a session', async () => {
      expect((await server.client().get(ws)).status).toBe(401);
    });

    it('answers 404 for a workspace I am not in, and for a malformed id, leaking nothing', async () => {
      const foreign = await team.outsider.client.get(ws);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toMatchObject({ status: 404, detail: 'The workspace does not exist' });
      expect(foreign.text).not.toContain('Team workspace');
      expect((await team.outsider.client.get('/api/v1/workspaces/not-an-id')).status).toBe(404);
    });
  });

  describe('PATCH /api/v1/workspaces/:workspaceId', () => {
    it('lets an admin rename it', async () => {
      const response = await team.admin.client.patch<WorkspaceView>(ws, { name: 'Team workspace' });
      expect(response.status).toBe(200);
      expect(response.body.name).toBe('Team workspace');
    });

    it('names the wrong field', async () => {
      const response = await team.admin.client.patch(ws, { name: 'x'.repeat(101) });
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['body.name']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider', async () => {
      expect((await server.client().patch(ws, { name: 'x' })).status).toBe(401);
      const member = await team.member.client.patch(ws, { name: 'x' });
      expect(member.status).toBe(403);
      expect(member.body.detail).toBe('This needs the admin role or higher; you are member');
      const outsider = await team.outsider.client.patch(ws, { name: 'x' });
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain('Team workspace');
    });
  });

  describe('GET .../members', () => {
    it('lists every member with their role, for any member', async () => {
      const response = await team.viewer.client.get<List<MemberView>>(`${ws}/members`);
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            userId: team.owner.account.userId,
            role: 'owner',
            email: team.owner.account.email,
          }),
          expect.objectContaining({ userId: team.viewer.account.userId, role: 'viewer' }),
        ]),
      );
    });

    it('answers 401 without a session and 404 for an outsider', async () => {
      expect((await server.client().get(`${ws}/members`)).status).toBe(401);
      const outsider = await team.outsider.client.get(`${ws}/members`);
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain(team.owner.account.email);
    });
  });

  describe('PATCH .../members/:userId', () => {
    it('lets an admin change a member’s role', async () => {
      const person = await joins('member');
      const response = await team.admin.client.patch(`${ws}/members/${person.account.userId}`, {
        role: 'viewer',
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ userId: person.account.userId, role: 'viewer' });
      expect((await person.client.get<WorkspaceView>(ws)).body.role).toBe('viewer');
    });

    it('names the wrong field, in the body and in the path', async () => {
      const badRole = await team.admin.client.patch(`${ws}/members/${team.member.account.userId}`, {
        role: 'superuser',
      });
      expect(badRole.status).toBe(400);
      expect(invalidFields(badRole.body)).toEqual(['body.role']);
      const badId = await team.admin.client.patch(`${ws}/members/12345`, { role: 'viewer' });
      expect(invalidFields(badId.body)).toEqual(['params.userId']);
    });

    it('answers 401 without a session, 403 for a member, 404 for an outsider or a non-member', async () => {
      const target = `${ws}/members/${team.viewer.account.userId}`;
      expect((await server.client().patch(target, { role: 'member' })).status).toBe(401);
      expect((await team.member.client.patch(target, { role: 'member' })).status).toBe(403);
      expect((await team.outsider.client.patch(target, { role: 'member' })).status).toBe(404);
      const notInTeam = await team.admin.client.patch(`${ws}/members/${team.outsider.account.userId}`, {
        role: 'member',
      });
      expect(notInTeam.status).toBe(404);
      expect(notInTeam.body.detail).toBe('The member does not exist');
    });

    it('lets only owners make owners or change an owner', async () => {
      const person = await joins('member');
      const promote = await team.admin.client.patch(`${ws}/members/${person.account.userId}`, {
        role: 'owner',
      });
      expect(promote.status).toBe(403);
      expect(promote.body.detail).toMatch(/Only owners/);
      const demoteOwner = await team.admin.client.patch(`${ws}/members/${team.owner.account.userId}`, {
        role: 'admin',
      });
      expect(demoteOwner.status).toBe(403);
      expect(
        (await team.owner.client.patch(`${ws}/members/${person.account.userId}`, { role: 'owner' })).status,
      ).toBe(200);
      // Two owners now: one may step down.
      expect(
        (await person.client.patch(`${ws}/members/${person.account.userId}`, { role: 'admin' })).status,
      ).toBe(200);
    });

    it('refuses to demote the last owner, with the reason', async () => {
      const response = await team.owner.client.patch(`${ws}/members/${team.owner.account.userId}`, {
        role: 'admin',
      });
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        reason: 'last_owner',
        detail: expect.stringContaining('at least one owner') as string,
      });
    });
  });

  describe('DELETE .../members/:userId', () => {
    it('lets an admin remove a member, who then loses access at once', async () => {
      const person = await joins('member');
      expect((await person.client.get(ws)).status).toBe(200);
      expect((await team.admin.client.delete(`${ws}/members/${person.account.userId}`)).status).toBe(204);
      expect((await person.client.get(ws)).status).toBe(404);
    });

    it('lets anyone leave', async () => {
      const person = await joins('viewer');
      expect((await person.client.delete(`${ws}/members/${person.account.userId}`)).status).toBe(204);
      expect((await person.client.get(ws)).status).toBe(404);
    });

    it('refuses a member removing someone else, and an admin removing an owner', async () => {
      const person = await joins('viewer');
      const byMember = await team.member.client.delete(`${ws}/members/${person.account.userId}`);
      expect(byMember.status).toBe(403);
      expect(byMember.body.detail).toMatch(/needs the admin role/);
      expect((await team.admin.client.delete(`${ws}/members/${team.owner.account.userId}`)).status).toBe(403);
    });

    it('refuses to let the last owner leave, with the reason, and lets an owner leave once there is another', async () => {
      const leave = await team.owner.client.delete(`${ws}/members/${team.owner.account.userId}`);
      expect(leave.status).toBe(409);
      expect(leave.body).toMatchObject({
        reason: 'last_owner',
        detail: expect.stringContaining('last owner') as string,
      });
      const second = await joins('owner');
      expect((await second.client.delete(`${ws}/members/${second.account.userId}`)).status).toBe(204);
      const members = await team.owner.client.get<List<MemberView>>(`${ws}/members`);
      expect(members.body.items.filter((m) => m.role === 'owner')).toHaveLength(1);
    });

    it('keeps the last owner even when two owners try to leave at the same time', async () => {
      const second = await joins('owner');
      const both = await Promise.all([
        second.client.delete(`${ws}/members/${second.account.userId}`),
        team.owner.client.delete(`${ws}/members/${team.owner.account.userId}`),
      ]);
      expect(both.map((response) => response.status).sort()).toEqual([204, 409]);
      // Put things back for the other tests.
      if (both[1]?.status === 204) {
        await server.db
          .knex('memberships')
          .insert({ workspace_id: team.workspaceId, user_id: team.owner.account.userId, role: 'owner' });
        await server.db
          .knex('memberships')
          .where({ workspace_id: team.workspaceId, user_id: second.account.userId })
          .delete();
      }
    });

    it('names a malformed user id', async () => {
      const response = await team.admin.client.delete(`${ws}/members/nope`);
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['params.userId']);
    });

    it('answers 401 without a session and 404 for an outsider', async () => {
      const target = `${ws}/members/${team.viewer.account.userId}`;
      expect((await server.client().delete(target)).status).toBe(401);
      const outsider = await team.outsider.client.delete(target);
      expect(outsider.status).toBe(404);
      expect(outsider.text).not.toContain(team.viewer.account.email);
    });
  });
});
