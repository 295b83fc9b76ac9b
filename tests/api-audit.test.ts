import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../api/audit/audit.js';
import type { ApiKeyWithSecret } from '../api/auth/api-key-routes.js';
import type { AuditEntryView, AuditPage } from '../api/audit/routes.js';
import type { InvitationWithLink } from '../api/workspaces/schemas.js';
import {
  createTeam,
  invalidFields,
  newAccountDetails,
  startApi,
  type Team,
  type TestApi,
} from './helpers/api.js';

describe('the audit log', () => {
  let server: TestApi;
  let team: Team;
  let ws: string;
  const secrets: string[] = [];

  const entries = async (query = ''): Promise<AuditEntryView[]> =>
    (await team.owner.client.get<AuditPage>(`${ws}/audit-log${query}`)).body.items;
  const tokenOf = (invitation: InvitationWithLink): string =>
    new URL(invitation.acceptUrl).pathname.split('/').pop() ?? '';

  beforeAll(async () => {
    server = await startApi();
    team = await createTeam(server);
    ws = `/api/v1/workspaces/${team.workspaceId}`;
    const admin = team.admin.client;
    const headers = { 'user-agent': 'audit-test-agent/1.0' };

    // One of every admin action.
    await admin.patch(ws, { name: 'Renamed team' }, { headers });
    const invited = await admin.post<InvitationWithLink>(
      `${ws}/invitations`,
      { email: newAccountDetails().email, role: 'member' },
      { headers },
    );
    const resent = await admin.post<InvitationWithLink>(
      `${ws}/invitations/${invited.body.id}/resend`,
      undefined,
      { headers },
    );
    const token = tokenOf(resent.body);
    await server
      .client()
      .post(`/api/v1/invitations/${token}/accept`, { name: 'Joiner', password: 'audit Password 42' });
    const revoked = await admin.post<InvitationWithLink>(`${ws}/invitations`, {
      email: newAccountDetails().email,
      role: 'viewer',
    });
    await admin.delete(`${ws}/invitations/${revoked.body.id}`);
    await admin.patch(`${ws}/members/${team.viewer.account.userId}`, { role: 'member' });
    await admin.delete(`${ws}/members/${team.member.account.userId}`);
    const apiKey = (
      await admin.post<ApiKeyWithSecret>(`${ws}/api-keys`, { name: 'Audited key', role: 'admin' })
    ).body;
    await admin.delete(`${ws}/api-keys/${apiKey.id}`);
    const liveKey = (
      await admin.post<ApiKeyWithSecret>(`${ws}/api-keys`, { name: 'Renaming bot', role: 'admin' })
    ).body;
    await server.keyClient(liveKey.key).patch(ws, { name: 'Renamed by bot' });
    secrets.push(token, apiKey.key, liveKey.key, tokenOf(invited.body));
  });
  afterAll(() => server?.close());

  it('records every admin action, newest first', async () => {
    const actions = (await entries('?limit=200')).map((entry) => entry.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'workspace.rename',
        'invitation.create',
        'invitation.resend',
        'invitation.accept',
        'invitation.revoke',
        'member.role_change',
        'member.remove',
        'api_key.create',
        'api_key.revoke',
      ]),
    );
    expect(actions[0]).toBe('workspace.rename'); // the bot's rename came last
  });

  it('says who, what, to which thing, when and from where', async () => {
    const [change] = await entries('?action=member.role_change');
    expect(change).toMatchObject({
      action: 'member.role_change',
      actor: {
        type: 'user',
        id: team.admin.account.userId,
        name: team.admin.account.name,
        email: team.admin.account.email,
      },
      target: { type: 'user', id: team.viewer.account.userId },
      metadata: { from: 'viewer', to: 'member', email: team.viewer.account.email },
      ip: expect.stringContaining('127.0.0.1') as string,
    });
    expect(Date.now() - new Date(change?.at ?? 0).getTime()).toBeLessThan(60_000);
    const [rename] = await entries('?action=workspace.rename&limit=1');
    expect(rename?.actor).toMatchObject({ type: 'apiKey', name: 'Renaming bot' });
    const renames = await entries('?action=workspace.rename');
    expect(renames.at(-1)).toMatchObject({
      userAgent: 'audit-test-agent/1.0',
      metadata: { from: 'Team workspace', to: 'Renamed team' },
    });
  });

  it('holds no secret: no invitation token, no API key', async () => {
    const text = (await team.owner.client.get(`${ws}/audit-log?limit=200`)).text;
    for (const secret of secrets) expect(text).not.toContain(secret);
    const rows = await server.db.knex('audit_log');
    for (const secret of secrets) expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('pages with a cursor, without gaps or repeats', async () => {
    const all = (await entries('?limit=200')).map((entry) => entry.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = (
        await team.owner.client.get<AuditPage>(`${ws}/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('filters by action', async () => {
    const invites = await entries('?action=invitation.create');
    expect(invites).toHaveLength(2);
    expect(invites.every((entry) => entry.action === 'invitation.create')).toBe(true);
  });

  it('takes entries from other features through audit()', async () => {
    await audit(server.db.knex, {
      workspaceId: team.workspaceId,
      actor: { userId: team.owner.account.userId, apiKeyId: null },
      action: 'workflow.publish',
      target: { type: 'workflow', id: 'wf-1' },
      metadata: { version: 3 },
    });
    const [entry] = await entries('?action=workflow.publish');
    expect(entry).toMatchObject({
      target: { type: 'workflow', id: 'wf-1' },
      metadata: { version: 3 },
      actor: { type: 'user' },
    });
  });

  it('names a wrong query parameter', async () => {
    const badLimit = await team.owner.client.get(`${ws}/audit-log?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(invalidFields(badLimit.body)).toEqual(['query.limit']);
    const badCursor = await team.owner.client.get(`${ws}/audit-log?cursor=garbage`);
    expect(invalidFields(badCursor.body)).toEqual(['query.cursor']);
  });

  it('answers 401 without a session, 403 below admin, 404 for an outsider', async () => {
    expect((await server.client().get(`${ws}/audit-log`)).status).toBe(401);
    expect((await team.viewer.client.get(`${ws}/audit-log`)).status).toBe(403);
    const outsider = await team.outsider.client.get(`${ws}/audit-log`);
    expect(outsider.status).toBe(404);
    expect(outsider.text).not.toMatch(/Renamed|invitation/);
  });
});
