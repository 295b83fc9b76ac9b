import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../api/auth/tokens.js';
import type { ApiKeyView, ApiKeyWithSecret } from '../api/auth/api-key-routes.js';
import type { WorkspaceSummary, WorkspaceView } from '../api/workspaces/schemas.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type ApiClient,
  type List,
  type Team,
  type TestApi,
} from './helpers/api.js';

describe('workspace API keys', () => {
  let server: TestApi;
  let team: Team;
  let keys: string;

  beforeAll(async () => {
    server = await startApi();
    team = await createTeam(server);
    keys = `/api/v1/workspaces/${team.workspaceId}/api-keys`;
  });
  afterAll(() => server?.close());

  async function createKey(by: ApiClient, name: string, role: string): Promise<ApiKeyWithSecret> {
    const response = await by.post<ApiKeyWithSecret>(keys, { name, role });
    if (response.status !== 201)
      throw new Error(`creating a key answered ${response.status}: ${response.text}`);
    return response.body;
  }

  async function listKeys(by: ApiClient, query = ''): Promise<ApiKeyView[]> {
    return (await by.get<List<ApiKeyView>>(`${keys}${query}`)).body.items;
  }

  describe('creating a key', () => {
    it('shows the secret once, in the create response, with a visible prefix', async () => {
      const response = await team.admin.client.post<ApiKeyWithSecret>(keys, {
        name: 'CI pipeline',
        role: 'member',
      });
      expect(response.status).toBe(201);
      expect(response.body.key).toMatch(/^rf_live_[0-9A-Za-z]{43}$/);
      expect(response.body).toMatchObject({
        name: 'CI pipeline',
        role: 'member',
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(response.body.prefix).toBe(response.body.key.slice(0, 16));
      expect(response.body.createdByUserId).toBe(team.admin.account.userId);

      const list = await team.admin.client.get<List<ApiKeyView>>(keys);
      expect(list.body.items).toContainEqual(
        expect.objectContaining({ id: response.body.id, prefix: response.body.prefix }),
      );
      expect(list.text).not.toContain(response.body.key);
      expect(list.body.items.every((item) => !('key' in item))).toBe(true);
    });

    it('stores only the SHA-256 of the key', async () => {
      const created = await createKey(team.admin.client, 'hash check', 'viewer');
      const rows = await server.db
        .knex<{ id: string; token_hash: string; workspace_id: string }>('api_keys')
        .where({
          workspace_id: team.workspaceId,
        });
      expect(rows.find((row) => row.id === created.id)?.token_hash).toBe(sha256(created.key));
      expect(JSON.stringify(rows)).not.toContain(created.key);
    });

    it('names the wrong field', async () => {
      const response = await team.admin.client.post(keys, { role: 'owner' });
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['body.name', 'body.role']);
    });

    it('refuses a role above the creator’s own', async () => {
      const response = await team.member.client.post(keys, { name: 'too strong', role: 'admin' });
      expect(response.status).toBe(403);
      expect(response.body.detail).toMatch(/you are member, the key asks for admin/);
      expect((await team.member.client.post(keys, { name: 'fine', role: 'member' })).status).toBe(201);
    });

    it('answers 401 without a session, 403 for a viewer, 404 for another workspace', async () => {
      expect((await server.client().post(keys, { name: 'x' })).status).toBe(401);
      expect((await team.viewer.client.post(keys, { name: 'x' })).status).toBe(403);
      const foreign = await team.outsider.client.post(keys, { name: 'x' });
      expect(foreign.status).toBe(404);
      expect(foreign.text).not.toContain('Team workspace');
    });
  });

  describe('listing keys', () => {
    it('answers 401 without a session, 403 for a viewer, 404 for another workspace', async () => {
      expect((await server.client().get(keys)).status).toBe(401);
      expect((await team.viewer.client.get(keys)).status).toBe(403);
      const foreign = await team.outsider.client.get(keys);
      expect(foreign.status).toBe(404);
      expect(foreign.text).not.toMatch(/rf_live_|Team workspace/);
    });

    it('names a wrong query parameter', async () => {
      const response = await team.admin.client.get(`${keys}?includeRevoked=maybe`);
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['query.includeRevoked']);
    });
  });

  describe('using a key', () => {
    it('authenticates as its workspace with its role', async () => {
      const bot = server.keyClient((await createKey(team.admin.client, 'member bot', 'member')).key);
      const workspace = await bot.get<WorkspaceView>(`/api/v1/workspaces/${team.workspaceId}`);
      expect(workspace.status).toBe(200);
      expect(workspace.body.role).toBe('member');
      const mine = await bot.get<List<WorkspaceSummary>>('/api/v1/workspaces');
      expect(mine.body.items).toEqual([expect.objectContaining({ id: team.workspaceId, role: 'member' })]);
      // Renaming needs admin.
      expect(
        (await bot.patch(`/api/v1/workspaces/${team.workspaceId}`, { name: 'Bot was here' })).status,
      ).toBe(403);
    });

    it('reaches only its own workspace: another one is 404 with nothing of it in the body', async () => {
      const { key } = await createKey(team.admin.client, 'scoped', 'admin');
      const response = await server
        .keyClient(key)
        .get(`/api/v1/workspaces/${team.outsider.account.workspaceId}`);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('Outsider secret workspace');
    });

    it('cannot manage keys: that takes a person', async () => {
      const bot = server.keyClient((await createKey(team.admin.client, 'admin bot', 'admin')).key);
      expect((await bot.post(keys, { name: 'child', role: 'viewer' })).status).toBe(403);
      expect((await bot.get(keys)).status).toBe(403);
    });

    it('notes when it was last used, writing at most once a minute', async () => {
      const body = await createKey(team.admin.client, 'usage', 'viewer');
      const lastUsed = async (): Promise<Date | null> =>
        (await server.db.knex('api_keys').where({ id: body.id }).first<{ last_used_at: Date | null }>())
          .last_used_at;
      expect(await lastUsed()).toBeNull();
      await server.keyClient(body.key).get(`/api/v1/workspaces/${team.workspaceId}`);
      const first = await lastUsed();
      expect(first).toBeInstanceOf(Date);
      await server.keyClient(body.key).get(`/api/v1/workspaces/${team.workspaceId}`);
      expect(await lastUsed()).toEqual(first);
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      await server.db.knex('api_keys').where({ id: body.id }).update({ last_used_at: twoMinutesAgo });
      await server.keyClient(body.key).get(`/api/v1/workspaces/${team.workspaceId}`);
      expect((await lastUsed())?.getTime()).toBeGreaterThan(twoMinutesAgo.getTime());
      const listed = (await listKeys(team.admin.client)).find((item) => item.id === body.id);
      expect(listed?.lastUsedAt).toEqual(expect.any(String));
    });
  });

  describe('revoking a key', () => {
    it('stops the key at once: the next request is 401', async () => {
      const body = await createKey(team.admin.client, 'short-lived', 'member');
      const bot = server.keyClient(body.key);
      expect((await bot.get(`/api/v1/workspaces/${team.workspaceId}`)).status).toBe(200);
      expect((await team.admin.client.delete(`${keys}/${body.id}`)).status).toBe(204);
      expect((await bot.get(`/api/v1/workspaces/${team.workspaceId}`)).status).toBe(401);
      expect((await listKeys(team.admin.client)).map((item) => item.id)).not.toContain(body.id);
      const all = await listKeys(team.admin.client, '?includeRevoked=true');
      expect(all.find((item) => item.id === body.id)?.revokedAt).toEqual(expect.any(String));
    });

    it('lets members revoke their own keys but not others’', async () => {
      const mine = await createKey(team.member.client, 'mine', 'viewer');
      const theirs = await createKey(team.admin.client, 'theirs', 'viewer');
      expect((await team.member.client.delete(`${keys}/${theirs.id}`)).status).toBe(403);
      expect((await team.member.client.delete(`${keys}/${mine.id}`)).status).toBe(204);
    });

    it('names a malformed key id', async () => {
      const response = await team.admin.client.delete(`${keys}/not-a-uuid`);
      expect(response.status).toBe(400);
      expect(invalidFields(response.body)).toEqual(['params.keyId']);
    });

    it('answers 401 without a session, 403 for a viewer, 404 for another workspace or its key', async () => {
      const body = await createKey(team.admin.client, 'target', 'viewer');
      expect((await server.client().delete(`${keys}/${body.id}`)).status).toBe(401);
      expect((await team.viewer.client.delete(`${keys}/${body.id}`)).status).toBe(403);
      expect((await team.outsider.client.delete(`${keys}/${body.id}`)).status).toBe(404);
      // The outsider's own workspace does not have this key either.
      const viaOwn = await team.outsider.client.delete(
        `/api/v1/workspaces/${team.outsider.account.workspaceId}/api-keys/${body.id}`,
      );
      expect(viaOwn.status).toBe(404);
      expect(viaOwn.text).not.toContain('target');
      expect((await server.keyClient(body.key).get(`/api/v1/workspaces/${team.workspaceId}`)).status).toBe(
        200,
      );
    });
  });
});
