import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialNotFound, CredentialStore } from '../api/credentials/store.js';
import { SecretBox } from '../api/crypto/secret-box.js';
import { createTeam, invalidFields, startApi, type List, type Team, type TestApi } from './helpers/api.js';

interface CredentialBody {
  id: string;
  workspaceId: string;
  name: string;
  type: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const TOKEN = 'sk_live_do_not_leak_4242';
const PASSWORD = 'smtp-password-do-not-leak';

let server: TestApi;
let team: Team;
let base: string;

beforeAll(async () => {
  server = await startApi();
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}/credentials`;
});
afterAll(async () => {
  await server?.close();
});

describe('credentials API', () => {
  it('admins create credentials; the secret goes in sealed and never comes out', async () => {
    const created = await team.admin.client.post<CredentialBody>(base, {
      name: 'Stripe',
      type: 'bearer',
      data: { token: TOKEN },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Stripe',
      type: 'bearer',
      workspaceId: team.workspaceId,
      createdBy: team.admin.account.userId,
    });
    expect(created.text).not.toContain(TOKEN);
    expect(Object.keys(created.body).sort()).toEqual([
      'createdAt',
      'createdBy',
      'id',
      'name',
      'type',
      'updatedAt',
      'workspaceId',
    ]);

    const smtp = await team.owner.client.post<CredentialBody>(base, {
      name: 'Mail',
      type: 'smtp',
      data: { host: 'smtp.example.com', username: 'u', password: PASSWORD },
    });
    expect(smtp.status).toBe(201);

    // The database holds only sealed text.
    const rows = await server.db.knex('credentials').where({ workspace_id: team.workspaceId });
    expect(rows).toHaveLength(2);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(TOKEN);
    expect(dump).not.toContain(PASSWORD);
    for (const row of rows as Array<{ sealed_data: string }>)
      expect(row.sealed_data).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);

    // Members list names and types, and read one; no response carries the secret.
    const list = await team.member.client.get<List<CredentialBody>>(base);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c) => [c.name, c.type])).toEqual([
      ['Mail', 'smtp'],
      ['Stripe', 'bearer'],
    ]);
    expect(list.text).not.toContain(TOKEN);
    expect(list.text).not.toContain(PASSWORD);
    expect(list.text).not.toContain('smtp.example.com');
    const one = await team.member.client.get<CredentialBody>(`${base}/${created.body.id}`);
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(TOKEN);
    // Nor does the audit log.
    expect(
      JSON.stringify(await server.db.knex('audit_log').where({ workspace_id: team.workspaceId })),
    ).not.toContain(TOKEN);
  });

  it('checks roles: members and viewers cannot change credentials, viewers cannot list them', async () => {
    const body = { name: 'Nope', type: 'apiKey', data: { key: 'abcdef' } };
    expect((await team.member.client.post(base, body)).status).toBe(403);
    expect((await team.viewer.client.post(base, body)).status).toBe(403);
    expect((await team.viewer.client.get(base)).status).toBe(403);
    const [first] = (await team.member.client.get<List<CredentialBody>>(base)).body.items;
    expect((await team.member.client.put(`${base}/${first!.id}`, { name: 'x' })).status).toBe(403);
    expect((await team.member.client.delete(`${base}/${first!.id}`)).status).toBe(403);
  });

  it('validates the data of each type, naming the field', async () => {
    const missing = await team.admin.client.post(base, {
      name: 'Bad',
      type: 'basicAuth',
      data: { username: 'u' },
    });
    expect(missing.status).toBe(400);
    expect(invalidFields(missing.body)).toContain('body.data.password');
    const badType = await team.admin.client.post(base, { name: 'Bad', type: 'oauth', data: {} });
    expect(badType.status).toBe(400);
    const duplicate = await team.admin.client.post(base, {
      name: 'Stripe',
      type: 'bearer',
      data: { token: 'x' },
    });
    expect(duplicate.status).toBe(409);
  });

  it('admins rename and re-key a credential; nodes get the new data; delete removes it', async () => {
    const created = await team.admin.client.post<CredentialBody>(base, {
      name: 'Hubspot',
      type: 'apiKey',
      data: { key: 'old-key-value' },
    });
    const id = created.body.id;
    const before = (await server.db.knex('credentials').where({ id }).first()) as { sealed_data: string };
    const renamed = await team.admin.client.put<CredentialBody>(`${base}/${id}`, {
      name: 'HubSpot',
      data: { key: 'new-key-value', headerName: 'X-HubSpot-Key' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('HubSpot');
    expect(renamed.text).not.toContain('new-key-value');
    const after = (await server.db.knex('credentials').where({ id }).first()) as { sealed_data: string };
    expect(after.sealed_data).not.toBe(before.sealed_data);
    const badData = await team.admin.client.put(`${base}/${id}`, { data: { token: 'wrong shape' } });
    expect(badData.status).toBe(400);
    expect(invalidFields(badData.body)).toContain('body.data.key');

    // What a node in this workspace gets (the API's key opens it).
    const store = new CredentialStore(server.db.knex, server.secrets);
    await expect(store.resolve(team.workspaceId, id)).resolves.toMatchObject({
      name: 'HubSpot',
      secret: { type: 'apiKey', key: 'new-key-value', headerName: 'X-HubSpot-Key' },
    });

    expect((await team.admin.client.delete(`${base}/${id}`)).status).toBe(204);
    expect((await team.admin.client.get(`${base}/${id}`)).status).toBe(404);
    expect((await team.admin.client.delete(`${base}/${id}`)).status).toBe(404);
  });

  it('another workspace can neither read nor use them (404)', async () => {
    const [first] = (await team.admin.client.get<List<CredentialBody>>(base)).body.items;
    // The outsider is not a member: the workspace itself is "not found".
    expect((await team.outsider.client.get(base)).status).toBe(404);
    expect((await team.outsider.client.get(`${base}/${first!.id}`)).status).toBe(404);
    // Through their own workspace, the id does not exist either.
    const theirs = `/api/v1/workspaces/${team.outsider.account.workspaceId}/credentials`;
    expect((await team.outsider.client.get(`${theirs}/${first!.id}`)).status).toBe(404);
    expect((await team.outsider.client.put(`${theirs}/${first!.id}`, { name: 'mine' })).status).toBe(404);
    expect((await team.outsider.client.delete(`${theirs}/${first!.id}`)).status).toBe(404);
    expect((await team.outsider.client.get(`${theirs}/not-a-uuid`)).status).toBe(404);
    expect((await team.outsider.client.get<List<CredentialBody>>(theirs)).body.items).toEqual([]);
  });
});

describe('credential store (what nodes use)', () => {
  it('opens a credential only for its own workspace, and a sealed value moved elsewhere does not open', async () => {
    const secrets = new SecretBox(Buffer.alloc(32, 7));
    const store = new CredentialStore(server.db.knex, secrets);
    const mine = await store.create({
      workspaceId: team.workspaceId,
      name: 'store-test',
      type: 'header',
      data: { name: 'X-Token', value: 'header-secret' },
      createdBy: null,
    });
    await expect(store.resolve(team.workspaceId, mine.id)).resolves.toMatchObject({
      secret: { type: 'header', name: 'X-Token', value: 'header-secret' },
    });
    await expect(store.resolve(team.outsider.account.workspaceId, mine.id)).rejects.toBeInstanceOf(
      CredentialNotFound,
    );
    await expect(store.resolve(team.workspaceId, 'nonsense')).rejects.toBeInstanceOf(CredentialNotFound);
    // Copy the sealed text into a credential of the other workspace: AES-GCM's associated data
    // (workspace and credential id) no longer matches, so it does not open there.
    const theirs = await store.create({
      workspaceId: team.outsider.account.workspaceId,
      name: 'theirs',
      type: 'header',
      data: { name: 'X', value: 'their-own' },
      createdBy: null,
    });
    const sealed = (
      (await server.db.knex('credentials').where({ id: mine.id }).first()) as { sealed_data: string }
    ).sealed_data;
    await server.db.knex('credentials').where({ id: theirs.id }).update({ sealed_data: sealed });
    await expect(store.resolve(team.outsider.account.workspaceId, theirs.id)).rejects.toThrow();
  });
});

describe('outbound allow-list API', () => {
  it('admins read and replace the hosts; members cannot', async () => {
    const path = `/api/v1/workspaces/${team.workspaceId}/outbound-hosts`;
    expect((await team.admin.client.get<{ hosts: string[] }>(path)).body).toEqual({ hosts: [] });
    const put = await team.admin.client.put<{ hosts: string[] }>(path, {
      hosts: ['crm.internal', '10.0.0.5:8443', 'CRM.internal'],
    });
    expect(put.status).toBe(200);
    expect(put.body.hosts).toEqual(['crm.internal', '10.0.0.5:8443']);
    expect((await team.admin.client.get<{ hosts: string[] }>(path)).body.hosts).toEqual([
      'crm.internal',
      '10.0.0.5:8443',
    ]);
    expect((await team.member.client.get(path)).status).toBe(403);
    expect((await team.member.client.put(path, { hosts: [] })).status).toBe(403);
    const bad = await team.admin.client.put(path, { hosts: ['http://x/y'] });
    expect(bad.status).toBe(400);
    expect((await team.outsider.client.get(path)).status).toBe(404);
  });
});
