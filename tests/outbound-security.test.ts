import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { billingFor } from '../api/billing/hub.js';
import { signPayload } from '../api/hooks/signature.js';
import { createTeam, invalidFields, startApi, type Team, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

let server: TestApi;
let team: Team;
let base: string;
let otherBase: string;

const hook = (workspaceId: string, body: string, signature?: string) =>
  fetch(`${server.baseUrl}/hooks/outbound?workspace=${workspaceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature && { 'revflow-signature': signature }) },
    body,
  });

async function lead(email: string, client = team.member.client, ws = base): Promise<Body> {
  const created = await client.post<Body>(`${ws}/outbound/leads`, { email, name: 'Someone', company: 'Acme' });
  expect(created.status, created.text).toBe(201);
  return created.body.lead;
}

beforeAll(async () => {
  server = await startApi();
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  otherBase = `/api/v1/workspaces/${team.outsider.account.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
});

describe('leads and the plan', () => {
  it('normalises emails, merges a repeat, and refuses the 51st lead on Free with the plan message', async () => {
    const client = server.client();
    const account = await client.signup();
    const ws = `/api/v1/workspaces/${account.workspaceId}`;
    await billingFor(server.db.knex).accounts.setPlan(account.workspaceId, { planId: 'free' });
    const first = await client.post<Body>(`${ws}/outbound/leads`, { email: '  Mixed.Case@Example.COM ', name: 'Mixed' });
    expect(first.body.lead.email).toBe('mixed.case@example.com');
    const again = await client.post<Body>(`${ws}/outbound/leads`, { email: 'mixed.case@example.com', company: 'Acme' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, merged: true, lead: { name: 'Mixed', company: 'Acme' } });
    const csv = ['email', ...Array.from({ length: 49 }, (_, i) => `lead${i}@example.com`)].join('\n');
    const imported = await client.post<Body>(`${ws}/outbound/leads/import`, { csv, mapping: { email: 'email' } });
    expect(imported.body).toMatchObject({ created: 49, failed: 0 });
    const fiftyFirst = await client.post<Body>(`${ws}/outbound/leads`, { email: 'one-too-many@example.com' });
    expect(fiftyFirst.status).toBe(402);
    expect(fiftyFirst.body.detail).toBe('Free plan allows 50 leads per month; upgrade to Starter for 1,000');
    // In an import, the rows past the limit fail with the same message; none is skipped silently.
    const more = await client.post<Body>(`${ws}/outbound/leads/import`, { csv: 'email\nx1@example.com\nx2@example.com', mapping: { email: 'email' } });
    expect(more.body).toMatchObject({ created: 0, failed: 2 });
    expect(more.body.errors[0]).toMatchObject({ row: 1, message: expect.stringContaining('Free plan allows 50 leads') });
  });
});

describe('CSV import and export', () => {
  it('reports every bad row with its number, field and reason', async () => {
    const csv = 'email,name,tz\nok@example.com,Ok,Europe/Berlin\nnot-an-email,Bad,\n,Empty,\nzone@example.com,Zone,Mars/Olympus\nbroken@example.com,Caf\uFFFD,\nshort@example.com\n';
    const preview = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv, mapping: { email: 'email', name: 'name', tz: 'timezone' } });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ total: 6, valid: 1 });
    const errors = preview.body.errors.map((error: Body) => [error.row, error.field]);
    expect(errors).toEqual(expect.arrayContaining([[2, 'email'], [3, 'email'], [4, 'timezone'], [5, 'name'], [6, 'row']]));
    expect(preview.body.errors.find((error: Body) => error.row === 5).message).toMatch(/UTF-8/);
  });

  it('refuses hostile CSV: NUL bytes, too many rows, no header, an unknown mapped column', async () => {
    const nul = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv: 'email\na\u0000@example.com' });
    expect(nul.status).toBe(400);
    expect(invalidFields(nul.body)).toEqual(['body.csv']);
    const rows = ['email', ...Array.from({ length: 10_001 }, (_, i) => `r${i}@e.co`)].join('\n');
    const big = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv: rows });
    expect(big.status).toBe(400);
    expect(big.body.detail).toMatch(/at most 10,000/);
    const huge = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv: 'email\n' + 'x@example.com\n'.repeat(100_000) });
    expect([400, 413]).toContain(huge.status);
    const unmapped = await team.member.client.post<Body>(`${base}/outbound/leads/import`, { csv: 'email\na@example.com', mapping: { nope: 'email' } });
    expect(unmapped.status).toBe(400);
    expect(invalidFields(unmapped.body)).toEqual(['mapping.nope']);
    const blank = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv: '\n\n' });
    expect(blank.status).toBe(400);
  });

  it('escapes formula cells on export so a spreadsheet runs no command', async () => {
    const csv = 'email,name,company\nformula@example.com,"=HYPERLINK(""http://evil.example"")",+cmd|\' /C calc\'!A0\n';
    const imported = await team.member.client.post<Body>(`${base}/outbound/leads/import`, { csv, mapping: { email: 'email', name: 'name', company: 'company' } });
    expect(imported.body.created).toBe(1);
    const exported = await team.viewer.client.get<Body>(`${base}/outbound/leads/export?q=formula`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = Papa.parse<string[]>(exported.text.trim()).data;
    const header = rows[0]!;
    const row = rows[1]!;
    expect(row[header.indexOf('name')]).toBe('\'=HYPERLINK("http://evil.example")');
    expect(row[header.indexOf('company')]!.startsWith("'+cmd")).toBe(true);
  });
});

describe('roles and tenants', () => {
  it('lets a viewer read but not import, create or suppress', async () => {
    const csv = 'email\nviewer-import@example.com';
    expect((await team.viewer.client.post<Body>(`${base}/outbound/leads/import`, { csv, mapping: { email: 'email' } })).status).toBe(403);
    expect((await team.viewer.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv })).status).toBe(403);
    expect((await team.viewer.client.post<Body>(`${base}/outbound/leads`, { email: 'v@example.com' })).status).toBe(403);
    expect((await team.viewer.client.post<Body>(`${base}/outbound/suppressions`, { email: 'v@example.com' })).status).toBe(403);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads`)).status).toBe(200);
    // The inbound secret is for admins.
    expect((await team.member.client.get<Body>(`${base}/outbound/settings`)).status).toBe(403);
  });

  it("never reaches another workspace's leads or campaigns", async () => {
    const mine = await lead('tenant-a@example.com');
    const theirs = await lead('tenant-b@example.com', team.outsider.client, otherBase);
    expect((await team.member.client.get<Body>(`${base}/outbound/leads/${theirs.id}`)).status).toBe(404);
    expect((await team.member.client.patch<Body>(`${base}/outbound/leads/${theirs.id}`, { name: 'Hijacked' })).status).toBe(404);
    expect((await team.admin.client.delete<Body>(`${base}/outbound/leads/${theirs.id}`)).status).toBe(404);
    expect((await team.member.client.get<Body>(`${otherBase}/outbound/leads/${mine.id}`)).status).toBe(404);
    // Their lead id in my enrolment list enrols nothing; their workflow is not my campaign.
    // (This server runs no engine: their workflow is written straight to the database.)
    const theirWorkflow = await server.db.workflows.createWorkflow(team.outsider.account.workspaceId, {
      schemaVersion: 1,
      name: 'Theirs',
      nodes: [
        { id: 't', type: 'trigger.manual', config: {} },
        { id: 'e', type: 'outbound.enroll', config: {} },
      ],
      edges: [{ from: 't', to: 'e' }],
    } as never);
    expect((await team.member.client.post<Body>(`${base}/outbound/campaigns/${theirWorkflow.id}/enroll`, { leadIds: [mine.id] })).status).toBe(404);
    expect((await team.member.client.get<Body>(`${base}/outbound/campaigns/${theirWorkflow.id}`)).status).toBe(404);
    const name = (await team.outsider.client.get<Body>(`${otherBase}/outbound/leads/${theirs.id}`)).body.lead.name;
    expect(name).toBe('Someone');
  });
});

describe('the inbound webhook', () => {
  it('refuses unsigned, forged, stale and cross-workspace signatures, and accepts a valid one', async () => {
    await lead('inbound@example.com');
    const secret = (await team.admin.client.get<Body>(`${base}/outbound/settings`)).body.secret as string;
    const otherSecret = (await team.outsider.client.get<Body>(`${otherBase}/outbound/settings`)).body.secret as string;
    const body = JSON.stringify({ id: 'bounce-1', type: 'bounce', from: 'inbound@example.com' });
    expect((await hook(team.workspaceId, body)).status).toBe(401);
    expect((await hook(team.workspaceId, body, 't=1,v1=deadbeef')).status).toBe(401);
    expect((await hook(team.workspaceId, body, signPayload(otherSecret, body))).status).toBe(401);
    expect((await hook(team.workspaceId, body, signPayload(secret, body, Math.floor(Date.now() / 1000) - 3600))).status).toBe(401);
    expect((await hook(team.workspaceId, body, signPayload(secret, `${body} `))).status).toBe(401);
    expect((await hook('not-a-uuid', body, signPayload(secret, body))).status).toBe(401);
    const hostile = JSON.stringify({ id: 'x', type: 'reply', text: 'a\u0000b' });
    expect((await hook(team.workspaceId, hostile, signPayload(secret, hostile))).status).toBe(400);
    const ok = await hook(team.workspaceId, body, signPayload(secret, body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ matched: true, platformEvent: 'outbound.bounced' });
    const suppressed = (await team.viewer.client.get<Body>(`${base}/outbound/suppressions?q=inbound`)).body.items;
    expect(suppressed).toEqual([expect.objectContaining({ email: 'inbound@example.com', reason: 'bounced' })]);
  });

  it('classifies replies by the documented rules when no AI layer answers', async () => {
    await lead('rules@example.com');
    const post = (id: string, text: string) => team.member.client.post<Body>(`${base}/outbound/events`, { id, type: 'reply', from: 'rules@example.com', text });
    expect((await post('r1', 'I am out of the office until Monday.')).body.classification).toBe('out_of_office');
    expect((await post('r2', 'Not interested, thanks.')).body.classification).toBe('negative');
    expect((await post('r3', 'Who is this?')).body.classification).toBe('neutral');
    const unsubscribe = await post('r4', 'Please remove me from your list');
    expect(unsubscribe.body).toMatchObject({ classification: 'unsubscribe', platformEvent: 'outbound.unsubscribed' });
    // Members cannot post platform events themselves through the public events API.
    expect((await team.member.client.post<Body>(`${base}/events`, { id: 'forged', name: 'outbound.replied', data: {} })).status).toBe(400);
  });
});

describe('one-click unsubscribe', () => {
  it('confirms on GET without changing anything, unsubscribes on POST at once, and refuses a token for another lead', async () => {
    const target = await lead('unsub@example.com');
    const other = await lead('other-unsub@example.com');
    const tokenFor = async (leadId: string) => {
      const { OutboundKeys } = await import('../api/outbound/keys.js');
      return new OutboundKeys(server.db.knex, server.secrets).unsubscribeToken(team.workspaceId, leadId);
    };
    const token = await tokenFor(target.id);
    const page = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('un***@example.com');
    expect(html).toContain('method="post"');
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${target.id}`)).body.lead.status).toBe('new');
    // A token whose lead part is swapped for another lead fails its signature.
    const [ws, , mac] = token.split('.');
    const forged = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${ws}.${other.id}.${mac}`, { method: 'POST' });
    expect(forged.status).toBe(404);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${other.id}`)).body.lead.status).toBe('new');
    const xss = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(xss.status).toBe(404);
    expect(await xss.text()).not.toContain('<script>');
    // RFC 8058: a POST with List-Unsubscribe=One-Click, no cookie, no CSRF header.
    const oneClick = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${target.id}`)).body.lead.status).toBe('unsubscribed');
    const list = (await team.viewer.client.get<Body>(`${base}/outbound/suppressions?q=unsub@`)).body.items;
    expect(list).toEqual([expect.objectContaining({ email: 'unsub@example.com', reason: 'unsubscribed' })]);
  });
});
