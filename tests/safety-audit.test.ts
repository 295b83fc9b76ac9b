import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

/**
 * The tamper-evident audit log (issue 12): every entry is chained to the one before by hash;
 * the verify endpoint and `revflow audit-verify` recompute the chain and name the first entry
 * that was changed or removed.
 */

interface Report {
  ok: boolean;
  entries: number;
  brokenAt: { id: string; seq: number; action: string; reason: string } | null;
}

let server: TestApi;
let team: Team;
const run = promisify(execFile);

beforeAll(async () => {
  server = await startApi();
  team = await createTeam(server);
});
afterAll(async () => {
  await server?.close();
});

const verifyUrl = () => `/api/v1/workspaces/${team.workspaceId}/audit-log/verify`;

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--no-node-snapshot', '--import', 'tsx', 'api/cli.ts', ...args],
      {
        env: { ...process.env, DATABASE_URL: server.db.url },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

describe('the audit hash chain', () => {
  it('chains concurrent entries in order, and only admins may verify it', async () => {
    // Twenty audited changes at once: the per-workspace lock keeps one unbroken chain.
    const renames = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        team.admin.client.patch(`/api/v1/workspaces/${team.workspaceId}`, {
          name: `Team ${n} <script>\u0000`,
        }),
      ),
    );
    expect(renames.map((r) => r.status).every((s) => s === 200 || s === 400)).toBe(true);
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        team.admin.client.patch(`/api/v1/workspaces/${team.workspaceId}`, { name: `Team ${n}` }),
      ),
    );
    const report = await team.admin.client.get<Report>(verifyUrl());
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ ok: true, brokenAt: null });
    expect(report.body.entries).toBeGreaterThanOrEqual(11);
    const seqs = (
      await server.db.knex('audit_log').where({ workspace_id: team.workspaceId }).orderBy('seq').pluck('seq')
    ).map(Number);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));

    expect((await team.member.client.get(verifyUrl())).status).toBe(403);
    expect((await team.outsider.client.get(verifyUrl())).status).toBe(404);
  });

  it('names the entry whose row was changed by SQL, over HTTP and on the command line', async () => {
    expect((await cli('audit-verify', team.workspaceId)).code).toBe(0);
    const victim = await server.db
      .knex('audit_log')
      .where({ workspace_id: team.workspaceId, action: 'workspace.rename' })
      .orderBy('seq')
      .first<{ id: string; seq: string; metadata: Record<string, unknown> }>();
    await server.db
      .knex('audit_log')
      .where({ id: victim.id })
      .update({ metadata: JSON.stringify({ ...victim.metadata, name: 'Nothing to see here' }) });

    const report = await team.admin.client.get<Report>(verifyUrl());
    expect(report.body.ok).toBe(false);
    expect(report.body.brokenAt).toMatchObject({
      id: victim.id,
      seq: Number(victim.seq),
      action: 'workspace.rename',
    });
    expect(report.body.brokenAt?.reason).toContain('changed');

    const result = await cli('audit-verify', team.workspaceId);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(victim.id);
    expect((await cli('audit-verify', 'not-a-uuid')).code).toBe(2);
  }, 180_000);

  it('detects a removed entry and a forged actor', async () => {
    const other = await createTeam(server);
    for (let n = 0; n < 3; n += 1)
      await other.admin.client.patch(`/api/v1/workspaces/${other.workspaceId}`, { name: `Other ${n}` });
    const url = `/api/v1/workspaces/${other.workspaceId}/audit-log/verify`;
    expect((await other.admin.client.get<Report>(url)).body.ok).toBe(true);

    const rows = await server.db
      .knex('audit_log')
      .where({ workspace_id: other.workspaceId })
      .orderBy('seq')
      .select('id', 'seq');
    await server.db
      .knex('audit_log')
      .where({ id: rows[1]!.id })
      .update({ actor_user_id: other.member.account.userId });
    let report = (await other.admin.client.get<Report>(url)).body;
    expect(report.brokenAt).toMatchObject({ id: rows[1]!.id, reason: expect.stringContaining('actor') });

    await server.db.knex('audit_log').where({ id: rows[1]!.id }).delete();
    report = (await other.admin.client.get<Report>(url)).body;
    expect(report.ok).toBe(false);
    expect(report.brokenAt).toMatchObject({ id: rows[2]!.id, reason: expect.stringContaining('removed') });
  });
});
