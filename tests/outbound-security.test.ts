// Over 400 lines: one file for every outbound attack (tenants, roles, hostile CSV, the webhook), as issue 13 asks.
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
  const created = await client.post<Body>(`${ws}/outbound/leads`, {
    email,
    name: 'Someone',
    company: 'Acme',
  });
  expect(created.status, created.text).toBe(201);
  return created.body.lead;
}

beforeAll(async () => {
  // An engine: the node attacks run real workflows. Port 9 (discard) takes no mail: nothing may get that far.
  process.env.SMTP_URL = 'smtp://127.0.0.1:9';
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
  otherBase = `/api/v1/workspaces/${team.outsider.account.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
  delete process.env.SMTP_URL;
});

describe('leads and the plan', () => {
  it('normalises emails, merges a repeat, and refuses the 51st lead on Free with the plan message', async () => {
    const client = server.client();
    const account = await client.signup();
    const ws = `/api/v1/workspaces/${account.workspaceId}`;
    await billingFor(server.db.knex).accounts.setPlan(account.workspaceId, { planId: 'free' });
    const first = await client.post<Body>(`${ws}/outbound/leads`, {
      email: '  Mixed.Case@Example.COM ',
      name: 'Mixed',
    });
    expect(first.body.lead.email).toBe('mixed.case@example.com');
    const again = await client.post<Body>(`${ws}/outbound/leads`, {
      email: 'mixed.case@example.com',
      company: 'Acme',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      created: false,
      merged: true,
      lead: { name: 'Mixed', company: 'Acme' },
    });
    const csv = ['email', ...Array.from({ length: 49 }, (_, i) => `lead${i}@example.com`)].join('\n');
    const imported = await client.post<Body>(`${ws}/outbound/leads/import`, {
      csv,
      mapping: { email: 'email' },
    });
    expect(imported.body).toMatchObject({ created: 49, failed: 0 });
    const fiftyFirst = await client.post<Body>(`${ws}/outbound/leads`, { email: 'one-too-many@example.com' });
    expect(fiftyFirst.status).toBe(402);
    expect(fiftyFirst.body.detail).toBe('Free plan allows 50 leads per month; upgrade to Starter for 1,000');
    // In an import, the rows past the limit fail with the same message; none is skipped silently.
    const more = await client.post<Body>(`${ws}/outbound/leads/import`, {
      csv: 'email\nx1@example.com\nx2@example.com',
      mapping: { email: 'email' },
    });
    expect(more.body).toMatchObject({ created: 0, failed: 2 });
    expect(more.body.errors[0]).toMatchObject({
      row: 1,
      message: expect.stringContaining('Free plan allows 50 leads'),
    });
  });
});

describe('CSV import and export', () => {
  it('reports every bad row with its number, field and reason', async () => {
    const csv =
      'email,name,tz\nok@example.com,Ok,Europe/Berlin\nnot-an-email,Bad,\n,Empty,\nzone@example.com,Zone,Mars/Olympus\nbroken@example.com,Caf\uFFFD,\nshort@example.com\n';
    const preview = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, {
      csv,
      mapping: { email: 'email', name: 'name', tz: 'timezone' },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ total: 6, valid: 1 });
    const errors = preview.body.errors.map((error: Body) => [error.row, error.field]);
    expect(errors).toEqual(
      expect.arrayContaining([
        [2, 'email'],
        [3, 'email'],
        [4, 'timezone'],
        [5, 'name'],
        [6, 'row'],
      ]),
    );
    expect(preview.body.errors.find((error: Body) => error.row === 5).message).toMatch(/UTF-8/);
  });

  it('refuses hostile CSV: NUL bytes, too many rows, no header, an unknown mapped column', async () => {
    const nul = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, {
      csv: 'email\na\u0000@example.com',
    });
    expect(nul.status).toBe(400);
    expect(invalidFields(nul.body)).toEqual(['body.csv']);
    const rows = ['email', ...Array.from({ length: 10_001 }, (_, i) => `r${i}@e.co`)].join('\n');
    const big = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv: rows });
    expect(big.status).toBe(400);
    expect(big.body.detail).toMatch(/at most 10,000/);
    const huge = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, {
      csv: 'email\n' + 'x@example.com\n'.repeat(100_000),
    });
    expect([400, 413]).toContain(huge.status);
    const unmapped = await team.member.client.post<Body>(`${base}/outbound/leads/import`, {
      csv: 'email\na@example.com',
      mapping: { nope: 'email' },
    });
    expect(unmapped.status).toBe(400);
    expect(invalidFields(unmapped.body)).toEqual(['mapping.nope']);
    const blank = await team.member.client.post<Body>(`${base}/outbound/leads/import/preview`, {
      csv: '\n\n',
    });
    expect(blank.status).toBe(400);
  });

  it('escapes formula cells on export so a spreadsheet runs no command', async () => {
    const csv =
      'email,name,company\nformula@example.com,"=HYPERLINK(""http://evil.example"")",+cmd|\' /C calc\'!A0\n';
    const imported = await team.member.client.post<Body>(`${base}/outbound/leads/import`, {
      csv,
      mapping: { email: 'email', name: 'name', company: 'company' },
    });
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
    expect(
      (
        await team.viewer.client.post<Body>(`${base}/outbound/leads/import`, {
          csv,
          mapping: { email: 'email' },
        })
      ).status,
    ).toBe(403);
    expect(
      (await team.viewer.client.post<Body>(`${base}/outbound/leads/import/preview`, { csv })).status,
    ).toBe(403);
    expect(
      (await team.viewer.client.post<Body>(`${base}/outbound/leads`, { email: 'v@example.com' })).status,
    ).toBe(403);
    expect(
      (await team.viewer.client.post<Body>(`${base}/outbound/suppressions`, { email: 'v@example.com' }))
        .status,
    ).toBe(403);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads`)).status).toBe(200);
    // The inbound secret is for admins.
    expect((await team.member.client.get<Body>(`${base}/outbound/settings`)).status).toBe(403);
  });

  it("never reaches another workspace's leads or campaigns", async () => {
    const mine = await lead('tenant-a@example.com');
    const theirs = await lead('tenant-b@example.com', team.outsider.client, otherBase);
    expect((await team.member.client.get<Body>(`${base}/outbound/leads/${theirs.id}`)).status).toBe(404);
    expect(
      (await team.member.client.patch<Body>(`${base}/outbound/leads/${theirs.id}`, { name: 'Hijacked' }))
        .status,
    ).toBe(404);
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
    expect(
      (
        await team.member.client.post<Body>(`${base}/outbound/campaigns/${theirWorkflow.id}/enroll`, {
          leadIds: [mine.id],
        })
      ).status,
    ).toBe(404);
    expect(
      (await team.member.client.get<Body>(`${base}/outbound/campaigns/${theirWorkflow.id}`)).status,
    ).toBe(404);
    const name = (await team.outsider.client.get<Body>(`${otherBase}/outbound/leads/${theirs.id}`)).body.lead
      .name;
    expect(name).toBe('Someone');
  });
});

describe('the inbound webhook', () => {
  it('refuses unsigned, forged, stale and cross-workspace signatures, and accepts a valid one', async () => {
    await lead('inbound@example.com');
    const secret = (await team.admin.client.get<Body>(`${base}/outbound/settings`)).body.secret as string;
    const otherSecret = (await team.outsider.client.get<Body>(`${otherBase}/outbound/settings`)).body
      .secret as string;
    const body = JSON.stringify({ id: 'bounce-1', type: 'bounce', from: 'inbound@example.com' });
    expect((await hook(team.workspaceId, body)).status).toBe(401);
    expect((await hook(team.workspaceId, body, 't=1,v1=deadbeef')).status).toBe(401);
    expect((await hook(team.workspaceId, body, signPayload(otherSecret, body))).status).toBe(401);
    expect(
      (await hook(team.workspaceId, body, signPayload(secret, body, Math.floor(Date.now() / 1000) - 3600)))
        .status,
    ).toBe(401);
    expect((await hook(team.workspaceId, body, signPayload(secret, `${body} `))).status).toBe(401);
    expect((await hook('not-a-uuid', body, signPayload(secret, body))).status).toBe(401);
    const hostile = JSON.stringify({ id: 'x', type: 'reply', text: 'a\u0000b' });
    expect((await hook(team.workspaceId, hostile, signPayload(secret, hostile))).status).toBe(400);
    const ok = await hook(team.workspaceId, body, signPayload(secret, body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ matched: true, platformEvent: 'outbound.bounced' });
    const suppressed = (await team.viewer.client.get<Body>(`${base}/outbound/suppressions?q=inbound`)).body
      .items;
    expect(suppressed).toEqual([
      expect.objectContaining({ email: 'inbound@example.com', reason: 'bounced' }),
    ]);
  });

  it('classifies replies by the documented rules when no AI layer answers', async () => {
    await lead('rules@example.com');
    const post = (id: string, text: string) =>
      team.member.client.post<Body>(`${base}/outbound/events`, {
        id,
        type: 'reply',
        from: 'rules@example.com',
        text,
      });
    expect((await post('r1', 'I am out of the office until Monday.')).body.classification).toBe(
      'out_of_office',
    );
    expect((await post('r2', 'Not interested, thanks.')).body.classification).toBe('negative');
    expect((await post('r3', 'Who is this?')).body.classification).toBe('neutral');
    const unsubscribe = await post('r4', 'Please remove me from your list');
    expect(unsubscribe.body).toMatchObject({
      classification: 'unsubscribe',
      platformEvent: 'outbound.unsubscribed',
    });
    // Members cannot post platform events themselves through the public events API.
    expect(
      (
        await team.member.client.post<Body>(`${base}/events`, {
          id: 'forged',
          name: 'outbound.replied',
          data: {},
        })
      ).status,
    ).toBe(400);
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
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${target.id}`)).body.lead.status).toBe(
      'new',
    );
    // A token whose lead part is swapped for another lead fails its signature.
    const [ws, , mac] = token.split('.');
    const forged = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${ws}.${other.id}.${mac}`, {
      method: 'POST',
    });
    expect(forged.status).toBe(404);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${other.id}`)).body.lead.status).toBe(
      'new',
    );
    const xss = await fetch(
      `${server.baseUrl}/api/v1/outbound/unsubscribe/${encodeURIComponent('<script>alert(1)</script>')}`,
    );
    expect(xss.status).toBe(404);
    expect(await xss.text()).not.toContain('<script>');
    // RFC 8058: a POST with List-Unsubscribe=One-Click, no cookie, no CSRF header.
    const oneClick = await fetch(`${server.baseUrl}/api/v1/outbound/unsubscribe/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await team.viewer.client.get<Body>(`${base}/outbound/leads/${target.id}`)).body.lead.status).toBe(
      'unsubscribed',
    );
    const list = (await team.viewer.client.get<Body>(`${base}/outbound/suppressions?q=unsub@`)).body.items;
    expect(list).toEqual([expect.objectContaining({ email: 'unsub@example.com', reason: 'unsubscribed' })]);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client is typed by the helper
type Client = any;

async function runWorkflow(client: Client, ws: string, nodes: Body[], input: Body): Promise<Body> {
  const created = await client.post(`${ws}/workflows`, {
    schemaVersion: 1,
    name: `attack ${Math.random().toString(36).slice(2, 8)}`,
    nodes: [{ id: 't', type: 'trigger.manual', config: {} }, ...nodes],
    edges: nodes.map((node, i) => ({ from: i === 0 ? 't' : nodes[i - 1].id, to: node.id })),
  });
  expect(created.status, created.text).toBe(201);
  const published = await client.post(`${ws}/workflows/${created.body.id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  const started = await client.post(`${ws}/workflows/${created.body.id}/runs`, { input });
  expect(started.status, started.text).toBe(202);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = (await client.get(`${ws}/runs/${started.body.id}`)).body;
    if (['succeeded', 'failed'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run stayed ${run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("another workspace's ids, through every outbound route and node", () => {
  it('answers 404 (or enrols nothing) for their lead, campaign and suppressed address on my routes', async () => {
    const t = await createTeam(server);
    const mine = `/api/v1/workspaces/${t.workspaceId}`;
    const theirs = `/api/v1/workspaces/${t.outsider.account.workspaceId}`;
    const their = await lead('their-lead@example.com', t.outsider.client, theirs);
    const own = await lead('my-lead@example.com', t.member.client, mine);
    const theirWorkflow = await t.outsider.client.post<Body>(`${theirs}/workflows`, {
      schemaVersion: 1,
      name: 'Their campaign',
      nodes: [
        { id: 't', type: 'trigger.manual', config: {} },
        { id: 'e', type: 'outbound.enroll', config: {} },
      ],
      edges: [{ from: 't', to: 'e' }],
    });
    await t.outsider.client.post<Body>(`${theirs}/workflows/${theirWorkflow.body.id}/publish`, {});
    const theirCampaign = theirWorkflow.body.id as string;
    await t.outsider.client.post<Body>(`${theirs}/outbound/suppressions`, {
      email: 'their-stop@example.com',
    });

    const m = t.member.client;
    expect((await m.get<Body>(`${mine}/outbound/leads/${their.id}`)).status).toBe(404);
    expect((await m.patch<Body>(`${mine}/outbound/leads/${their.id}`, { status: 'won' })).status).toBe(404);
    expect((await t.admin.client.delete<Body>(`${mine}/outbound/leads/${their.id}`)).status).toBe(404);
    expect((await m.get<Body>(`${mine}/outbound/campaigns/${theirCampaign}`)).status).toBe(404);
    expect(
      (await m.patch<Body>(`${mine}/outbound/campaigns/${theirCampaign}`, { status: 'paused' })).status,
    ).toBe(404);
    expect(
      (await m.post<Body>(`${mine}/outbound/campaigns/${theirCampaign}/enroll`, { leadIds: [own.id] }))
        .status,
    ).toBe(404);
    expect(
      (await t.admin.client.delete<Body>(`${mine}/outbound/suppressions/their-stop@example.com`)).status,
    ).toBe(404);
    // Their lead's address on my events API matches nothing of theirs.
    const event = await m.post<Body>(`${mine}/outbound/events`, {
      id: 'cross-1',
      type: 'reply',
      from: 'their-lead@example.com',
      text: 'Yes, book a meeting',
    });
    expect(event.status).toBe(200);
    expect(event.body).toMatchObject({ matched: false });
    // Their lead's id in my enrolment list enrols nothing: my campaign, their lead.
    const myCampaign = await m.post<Body>(`${mine}/workflows`, {
      schemaVersion: 1,
      name: 'My campaign',
      nodes: [
        { id: 't', type: 'trigger.manual', config: {} },
        { id: 'e', type: 'outbound.enroll', config: {} },
      ],
      edges: [{ from: 't', to: 'e' }],
    });
    await m.post<Body>(`${mine}/workflows/${myCampaign.body.id}/publish`, {});
    const enrol = await m.post<Body>(`${mine}/outbound/campaigns/${myCampaign.body.id}/enroll`, {
      leadIds: [their.id],
    });
    expect(enrol.status).toBe(202);
    expect(enrol.body).toMatchObject({ requested: 0, started: 0 });
    // Routes of their workspace do not even admit it exists.
    for (const path of ['leads', 'campaigns', 'suppressions', 'settings', 'score', 'leads/export'])
      expect((await m.get<Body>(`${theirs}/outbound/${path}`)).status, path).toBe(404);
    expect((await m.post<Body>(`${theirs}/outbound/score/retrain`)).status).toBe(404);
    // Nothing of theirs changed.
    const after = (await t.outsider.client.get<Body>(`${theirs}/outbound/leads/${their.id}`)).body;
    expect(after.lead.status).toBe('new');
    expect(after.enrollments).toEqual([]);
    expect((await t.outsider.client.get<Body>(`${theirs}/outbound/suppressions`)).body.items).toHaveLength(1);
  });

  it('lets no node reach their lead or campaign: enrol by id or email, update, score and send', async () => {
    const t = await createTeam(server);
    const mine = `/api/v1/workspaces/${t.workspaceId}`;
    const theirs = `/api/v1/workspaces/${t.outsider.account.workspaceId}`;
    const their = await lead('their-node-lead@example.com', t.outsider.client, theirs);
    const own = await lead('my-node-lead@example.com', t.member.client, mine);

    // outbound.enroll naming their lead by id, then by email: skipped, no such lead.
    for (const config of [{ leadId: their.id }, { email: 'their-node-lead@example.com' }]) {
      const run = await runWorkflow(
        t.member.client,
        mine,
        [{ id: 'e', type: 'outbound.enroll', config }],
        {},
      );
      expect(run.status).toBe('succeeded');
      const step = run.steps.find((s: Body) => s.nodeId === 'e');
      expect(step.output).toMatchObject({ reason: 'no_such_lead', lead: null });
    }
    // A forged envelope (their lead, a made-up enrolment) through updateLead, scoreLead and send.
    const forged = {
      lead: { id: their.id, email: their.email },
      enrollmentId: '00000000-0000-4000-8000-000000000001',
      campaignId: '00000000-0000-4000-8000-000000000002',
    };
    const attacks: Body[] = [
      { id: 'u', type: 'outbound.updateLead', config: { status: 'won', attributes: { pwned: true } } },
      { id: 'u', type: 'outbound.scoreLead', config: {} },
      { id: 'u', type: 'outbound.send', config: { content: 'custom', subject: 'Hi', body: 'Pwned' } },
    ];
    for (const node of attacks) {
      const run = await runWorkflow(t.member.client, mine, [node], forged);
      expect(run.status, node.type).toBe('failed');
      expect(JSON.stringify(run)).toMatch(/not (be )?found|does not exist/i);
    }
    // My own lead with their campaign id: the send finds no such campaign in my workspace.
    const mixed = await runWorkflow(
      t.member.client,
      mine,
      [{ id: 's', type: 'outbound.send', config: { content: 'custom', subject: 'Hi', body: 'x' } }],
      { ...forged, lead: { id: own.id, email: own.email } },
    );
    expect(mixed.status).toBe('failed');
    const after = (await t.outsider.client.get<Body>(`${theirs}/outbound/leads/${their.id}`)).body.lead;
    expect(after.status).toBe('new');
    expect(after.attributes).toEqual({});
    expect((await t.outsider.client.get<Body>(`${theirs}/outbound/score`)).body.examples).toBe(0);
  });
});

describe("a member doing an admin's job", () => {
  it('cannot add the sending credential, read or rotate the webhook secret, unsuppress or delete a lead', async () => {
    const t = await createTeam(server);
    const ws = `/api/v1/workspaces/${t.workspaceId}`;
    const m = t.member.client;
    const credential = { name: 'Outbound SMTP', type: 'smtp', data: { host: 'smtp.example.com', port: 587 } };
    expect((await m.post<Body>(`${ws}/credentials`, credential)).status).toBe(403);
    expect((await t.admin.client.post<Body>(`${ws}/credentials`, credential)).status).toBe(201);
    expect((await m.get<Body>(`${ws}/outbound/settings`)).status).toBe(403);
    const secret = (await t.admin.client.get<Body>(`${ws}/outbound/settings`)).body.secret;
    expect((await m.post<Body>(`${ws}/outbound/settings/rotate-secret`)).status).toBe(403);
    expect((await t.admin.client.get<Body>(`${ws}/outbound/settings`)).body.secret).toBe(secret);
    await m.post<Body>(`${ws}/outbound/suppressions`, { email: 'stop-me@example.com' });
    expect((await m.delete<Body>(`${ws}/outbound/suppressions/stop-me@example.com`)).status).toBe(403);
    expect((await t.viewer.client.get<Body>(`${ws}/outbound/suppressions`)).body.items).toHaveLength(1);
    const kept = await lead('keep-me@example.com', m, ws);
    expect((await m.delete<Body>(`${ws}/outbound/leads/${kept.id}`)).status).toBe(403);
    expect((await t.viewer.client.post<Body>(`${ws}/outbound/score/retrain`)).status).toBe(403);
    // The admin can do all of it.
    expect(
      (await t.admin.client.delete<Body>(`${ws}/outbound/suppressions/stop-me@example.com`)).status,
    ).toBe(204);
    expect((await t.admin.client.post<Body>(`${ws}/outbound/settings/rotate-secret`)).body.secret).not.toBe(
      secret,
    );
  });
});

describe('hostile CSV', () => {
  it('imports a BOM header, quoted commas and newlines; refuses lone surrogates and 10 MB; escapes every formula prefix', async () => {
    const t = await createTeam(server);
    const ws = `/api/v1/workspaces/${t.workspaceId}`;
    const m = t.member.client;
    const csv =
      '\uFEFFemail,name,company\r\n' +
      'bom@example.com,"Doe, Jane","Line one\nline two ""quoted"""\r\n' +
      "cmd@example.com,=cmd|' /C calc'!A0,@SUM(A1:A9)\r\n" +
      'minus@example.com,-2+3,"\t=1+1"\r\n' +
      'cr@example.com,"\r=1+1",+1\r\n';
    const preview = await m.post<Body>(`${ws}/outbound/leads/import/preview`, { csv });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.suggested ?? preview.body.mapping).toMatchObject({ email: 'email' });
    const imported = await m.post<Body>(`${ws}/outbound/leads/import`, {
      csv,
      mapping: { email: 'email', name: 'name', company: 'company' },
    });
    expect(imported.body).toMatchObject({ created: 4, failed: 0 });
    const bom = (await m.get<Body>(`${ws}/outbound/leads?q=bom@`)).body.items[0];
    expect(bom).toMatchObject({ name: 'Doe, Jane', company: 'Line one\nline two "quoted"' });
    const exported = await t.viewer.client.get<Body>(`${ws}/outbound/leads/export`);
    const rows = Papa.parse<string[]>(exported.text.trim()).data;
    const header = rows[0]!;
    const cells = rows
      .slice(1)
      .flatMap((row) => [row[header.indexOf('name')]!, row[header.indexOf('company')]!]);
    // No exported cell starts with a character a spreadsheet reads as a formula.
    for (const cell of cells) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(cells).toContain("'=cmd|' /C calc'!A0");
    expect(cells).toContain('Doe, Jane');

    const surrogate = await m.post<Body>(`${ws}/outbound/leads/import/preview`, {
      csv: 'email,name\nsur@example.com,\ud800x',
    });
    expect(surrogate.status).toBe(400);
    expect(invalidFields(surrogate.body)).toEqual(['body.csv']);
    const tenMb = await m.post<Body>(`${ws}/outbound/leads/import/preview`, {
      csv: 'email,name\n' + `big@example.com,${'x'.repeat(10 * 1024 * 1024)}\n`,
    });
    expect([400, 413]).toContain(tenMb.status);
    expect((await m.get<Body>(`${ws}/outbound/leads?q=big@`)).body.items).toEqual([]);
  });
});

describe('hostile inbound webhook bodies', () => {
  it('applies a replayed signed event once, and refuses deep JSON, junk and huge bodies with 4xx', async () => {
    const t = await createTeam(server);
    const ws = `/api/v1/workspaces/${t.workspaceId}`;
    await lead('replay@example.com', t.member.client, ws);
    const secret = (await t.admin.client.get<Body>(`${ws}/outbound/settings`)).body.secret as string;
    const send = (body: string, signature = signPayload(secret, body)) =>
      hook(t.workspaceId, body, signature);

    const reply = JSON.stringify({
      id: 'evt-replay',
      type: 'reply',
      from: 'replay@example.com',
      text: 'Not interested.',
    });
    const signature = signPayload(secret, reply);
    const first = await send(reply, signature);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ matched: true, duplicate: false, classification: 'negative' });
    const replayed = await send(reply, signature);
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ matched: true, duplicate: true });
    // Without an id the event's content is its key: the same bounce twice is one bounce.
    const bounce = JSON.stringify({ type: 'bounce', from: 'replay@example.com' });
    expect(await (await send(bounce)).json()).toMatchObject({ duplicate: false });
    expect(await (await send(bounce)).json()).toMatchObject({ duplicate: true });
    const detail = (await t.viewer.client.get<Body>(`${ws}/outbound/leads?q=replay@`)).body.items[0];
    const timeline = (await t.viewer.client.get<Body>(`${ws}/outbound/leads/${detail.id}`)).body.timeline;
    expect(timeline.filter((e: Body) => e.kind === 'replied')).toHaveLength(1);
    expect(timeline.filter((e: Body) => e.kind === 'bounced')).toHaveLength(1);

    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const deepAnswer = await send(deep);
    expect(deepAnswer.status).toBe(400);
    expect(invalidFields(await deepAnswer.json())[0]).toMatch(/^body/);
    const deepInside = `{"type":"reply","from":"replay@example.com","text":"x","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect((await send(deepInside)).status).toBe(400);
    const junk = await send('not json at all');
    expect(junk.status).toBe(400);
    expect(invalidFields(await junk.json())).toEqual(['body']);
    const wrongType = JSON.stringify({ type: 'pwn', from: 'replay@example.com' });
    const wrongAnswer = await send(wrongType);
    expect(wrongAnswer.status).toBe(400);
    expect(invalidFields(await wrongAnswer.json())).toEqual(['body.type']);
    const script = JSON.stringify({
      id: 'evt-xss',
      type: 'reply',
      from: 'replay@example.com',
      subject: '<script>alert(1)</script>',
      text: '<img src=x onerror=alert(1)>',
    });
    expect((await send(script)).status).toBe(200);
    const huge = JSON.stringify({
      type: 'reply',
      from: 'replay@example.com',
      text: 'x'.repeat(2 * 1024 * 1024),
    });
    expect((await send(huge)).status).toBe(413);
    // Unsigned, whatever the body.
    expect((await hook(t.workspaceId, deep)).status).toBe(401);
  });
});
