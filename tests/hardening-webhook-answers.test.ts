/**
 * Webhook answers and ingress under attack (issue 11, items 2, 11, 12 and new attacks): answers
 * never run script in the app's origin, signed requests are not replayable (not even on another
 * API process), and method, path, header and content-type tricks get a 4xx and start nothing.
 */
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../api/app.js';
import type { RuntimeBundle } from '../api/runtime-factory.js';
import { signPayload } from '../api/hooks/signature.js';
import { launchBrowser } from './helpers/browser.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

let server: TestApi;
let team: Team;
let base: string;

beforeAll(async () => {
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
});

type Node = { id: string; type: string; config: Record<string, unknown> };

/** Create and publish; answers the publish response (so refusals can be checked). */
async function publish(name: string, nodes: Node[]): Promise<{ id: string; status: number; text: string }> {
  const edges = nodes.slice(1).map((node, index) => ({ from: nodes[index]!.id, to: node.id }));
  const created = await team.member.client.post<{ id: string }>(`${base}/workflows`, {
    schemaVersion: 1,
    name,
    nodes,
    edges,
  });
  // Hostile text is refused already when the draft is saved (the body guard).
  if (created.status !== 201) return { id: '', status: created.status, text: created.text };
  const published = await team.member.client.post(`${base}/workflows/${created.body.id}/publish`, {});
  return { id: created.body.id, status: published.status, text: published.text };
}

async function activeResponder(
  path: string,
  respond: Record<string, unknown>,
  method = 'GET',
): Promise<string> {
  const workflow = await publish(`Answer ${path}`, [
    { id: 'hook', type: 'trigger.webhook', config: { path, method, responseMode: 'respondNode' } },
    { id: 'reply', type: 'webhook.respond', config: respond },
  ]);
  expect(workflow.status, workflow.text).toBe(201);
  const activated = await team.member.client.post(`${base}/workflows/${workflow.id}/activate`);
  expect(activated.status, activated.text).toBe(200);
  return workflow.id;
}

const hookUrl = (path: string, workspaceId = team.workspaceId): string =>
  `${server.baseUrl}/hooks/${workspaceId}/${path}`;

const MINT_KEY_PAGE =
  '<!doctype html><title>waiting</title><script>' +
  "fetch('/api/v1/me',{credentials:'include'}).then(r=>r.json()).then(me=>fetch('/api/v1/workspaces/'+" +
  "me.workspaces[0].id+'/api-keys',{method:'POST',credentials:'include',headers:{'content-type':" +
  "'application/json','x-revflow-csrf':'1'},body:JSON.stringify({name:'pwned',role:'admin'})}))" +
  ".then(r=>{document.title='ran '+r.status}).catch(e=>{document.title='failed '+e})</script>";

describe('webhook answers never run in the app origin (item 2)', () => {
  it('serves an HTML answer with nosniff and a sandbox CSP, so the key-minting page is inert in a logged-in browser', async () => {
    await activeResponder('evil-page', {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: MINT_KEY_PAGE,
    });
    const answer = await fetch(hookUrl('evil-page'));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toMatch(/(^|;\s*)sandbox(;|$)/);
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");

    // The victim: an outsider, logged in, opens the link.
    const victim = team.outsider.client;
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ baseURL: server.baseUrl });
      await context.addCookies([
        { name: 'revflow_session', value: victim.sessionCookie ?? '', url: server.baseUrl },
      ]);
      const page = await context.newPage();
      await page.goto(hookUrl('evil-page'));
      await page.waitForTimeout(1_000);
      expect(await page.title()).toBe('waiting');
      await context.close();
    } finally {
      await browser.close();
    }
    const keys = await victim.get<{ items: Array<{ name: string }> }>(
      `/api/v1/workspaces/${team.outsider.account.workspaceId}/api-keys`,
    );
    expect(keys.status).toBe(200);
    expect(keys.body.items.map((key) => key.name)).not.toContain('pwned');
  });

  it('answers JSON unless the workflow names another type: a text body is a JSON string', async () => {
    await activeResponder('text-body', { status: 200, body: '<img src=x onerror=alert(1)>' });
    const answer = await fetch(hookUrl('text-body'));
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await answer.json()).toBe('<img src=x onerror=alert(1)>');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await fetch(hookUrl('no-such-hook'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    expect(missing.headers.get('content-security-policy')).toMatch(/sandbox/);
  });

  it('refuses, at publish, answer headers that would plant cookies, lift the sandbox, open CORS or split the response', async () => {
    const attempts: Array<[string, Record<string, string>]> = [
      ['Set-Cookie', { 'Set-Cookie': 'revflow_session=attacker; Path=/' }],
      ['Content-Security-Policy', { 'Content-Security-Policy': "script-src 'unsafe-inline'" }],
      ['X-Content-Type-Options', { 'X-Content-Type-Options': 'sniff' }],
      ['Access-Control-Allow-Origin', { 'Access-Control-Allow-Origin': '*' }],
      ['Clear-Site-Data', { 'Clear-Site-Data': '"cookies"' }],
      ['Refresh', { Refresh: '0; url=https://evil.test/' }],
      ['X-Split', { 'X-Split': 'a\r\nSet-Cookie: evil=1' }],
      ['X-Nul', { 'X-Nul': 'a\u0000b' }],
      ['Bad Name', { 'Bad Name': 'x' }],
    ];
    for (const [header, headers] of attempts) {
      const workflow = await publish(`Headers ${header}`, [
        {
          id: 'hook',
          type: 'trigger.webhook',
          config: { path: `h-${header.length}`, responseMode: 'respondNode' },
        },
        { id: 'reply', type: 'webhook.respond', config: { headers } },
      ]);
      expect(workflow.status, `${header}: ${workflow.text}`).toBeGreaterThanOrEqual(400);
      expect(workflow.status, header).toBeLessThan(500);
      expect(workflow.text, header).toMatch(/reply|nodes\.1\.config\.headers/);
    }
    const early = await publish('Status 101', [
      { id: 'hook', type: 'trigger.webhook', config: { path: 'status-101', responseMode: 'respondNode' } },
      { id: 'reply', type: 'webhook.respond', config: { status: 101 } },
    ]);
    expect(early.status).toBeGreaterThanOrEqual(400);
    expect(early.status).toBeLessThan(500);
  });

  it('fails the step, not the server, when a template puts CR/LF into a header value', async () => {
    await activeResponder('crlf', { headers: { 'x-echo': '{{ input.query.v }}' }, body: { ok: true } });
    const split = await fetch(`${hookUrl('crlf')}?v=${encodeURIComponent('a\r\nSet-Cookie: evil=1')}`);
    expect(split.status).toBe(502);
    expect(split.headers.get('set-cookie')).toBeNull();
    const body = (await split.json()) as { detail: string };
    expect(body.detail).toMatch(/config\.headers\.x-echo/);
    const fine = await fetch(`${hookUrl('crlf')}?v=plain`);
    expect(fine.status).toBe(200);
    expect(fine.headers.get('x-echo')).toBe('plain');
  });
});

describe('signed requests cannot be replayed (item 12)', () => {
  async function signedHook(path: string): Promise<{ workflowId: string; secret: string }> {
    const workflow = await publish(`Signed ${path}`, [
      { id: 'hook', type: 'trigger.webhook', config: { path, signed: true } },
      { id: 'note', type: 'data.set', config: { fields: [{ name: 'seen', value: true }] } },
    ]);
    expect(workflow.status, workflow.text).toBe(201);
    expect((await team.member.client.post(`${base}/workflows/${workflow.id}/activate`)).status).toBe(200);
    const hooks = await team.admin.client.get<{ items: Array<{ secret: string }> }>(
      `${base}/workflows/${workflow.id}/webhooks`,
    );
    return { workflowId: workflow.id, secret: hooks.body.items[0]!.secret };
  }

  const runCount = async (workflowId: string): Promise<number> =>
    (await team.viewer.client.get<{ items: unknown[] }>(`${base}/runs?workflowId=${workflowId}&limit=200`))
      .body.items.length;

  it('refuses a replay inside the 5-minute window, whatever Idempotency-Key it carries', async () => {
    const { workflowId, secret } = await signedHook('replay-guard');
    const body = JSON.stringify({ invoice: 'in_9', paid: true });
    const headers = { 'content-type': 'application/json', 'revflow-signature': signPayload(secret, body) };
    const first = await fetch(hookUrl('replay-guard'), { method: 'POST', headers, body });
    expect(first.status).toBe(202);
    const extras: Array<Record<string, string>> = [
      {},
      { 'idempotency-key': 'fresh-key-1' },
      { 'idempotency-key': 'fresh-key-2' },
    ];
    for (const extra of extras) {
      const replay = await fetch(hookUrl('replay-guard'), {
        method: 'POST',
        headers: { ...headers, ...extra },
        body,
      });
      expect(replay.status).toBe(409);
      expect(((await replay.json()) as { reason: string }).reason).toMatch(/already received/);
    }
    const later = Math.floor(Date.now() / 1000) + 1;
    const next = await fetch(hookUrl('replay-guard'), {
      method: 'POST',
      headers: { ...headers, 'revflow-signature': signPayload(secret, body, later) },
      body,
    });
    expect(next.status).toBe(202);
    expect(await runCount(workflowId)).toBe(2);
  });

  it('refuses the replay on another API process too: the signatures seen are in Postgres', async () => {
    const { workflowId, secret } = await signedHook('replay-cluster');
    const body = JSON.stringify({ order: 'o_1' });
    const headers = { 'content-type': 'application/json', 'revflow-signature': signPayload(secret, body) };
    expect((await fetch(hookUrl('replay-cluster'), { method: 'POST', headers, body })).status).toBe(202);
    // A second API process on the same database, with its own memory (and no engine: a replay
    // must be refused before a run would start).
    // An empty bundle: reaching for the engine (to start a run) throws, which would be a 500.
    const { knex } = server.db;
    const second = createApi({
      knex,
      bundle: {} as RuntimeBundle,
      secrets: server.secrets,
      settings: server.settings,
    });
    const listening = await new Promise<Server>((resolve) => {
      const s = second.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const address = listening.address() as AddressInfo;
      const replay = await fetch(
        `http://127.0.0.1:${address.port}/hooks/${team.workspaceId}/replay-cluster`,
        {
          method: 'POST',
          headers,
          body,
        },
      );
      expect(replay.status).toBe(409);
    } finally {
      await new Promise<void>((resolve) => listening.close(() => resolve()));
      await second.close();
    }
    expect(await runCount(workflowId)).toBe(1);
  });

  it('refuses forged signature headers: several timestamps, non-hex, wrong length, 150 guesses', async () => {
    const { workflowId, secret } = await signedHook('replay-forge');
    const body = '{"a":1}';
    const now = Math.floor(Date.now() / 1000);
    const oldSignature = signPayload(secret, body, now - 400).split(',')[1]!;
    for (const header of [
      `t=${now},${oldSignature}`, // an old v1 under a fresh timestamp
      `t=${now - 400},${oldSignature},t=${now}`,
      `t=${now},v1=${'z'.repeat(64)}`,
      `t=${now},v1=${signPayload(secret, body, now).split('v1=')[1]!.toUpperCase()}`,
      `t=${now},${Array.from({ length: 150 }, (_, i) => `v1=${i.toString(16).padStart(64, '0')}`).join(',')}`,
    ]) {
      const answer = await fetch(hookUrl('replay-forge'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'revflow-signature': header },
        body,
      });
      expect(answer.status, header.slice(0, 80)).toBe(401);
    }
    expect(await runCount(workflowId)).toBe(0);
  });
});

/** A raw request: the path is sent exactly as written (fetch would normalise dot segments). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.baseUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ingress tricks', () => {
  it('refuses other methods (HEAD, OPTIONS, PUT, method-override headers) with 405 and starts nothing', async () => {
    const workflow = await publish('Only POST', [
      { id: 'hook', type: 'trigger.webhook', config: { path: 'only-post' } },
    ]);
    expect((await team.member.client.post(`${base}/workflows/${workflow.id}/activate`)).status).toBe(200);
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(method, `/hooks/${team.workspaceId}/only-post`, {
        'x-http-method-override': 'POST',
      });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow, method).toBe('POST');
    }
    const runs = await team.viewer.client.get<{ items: unknown[] }>(`${base}/runs?workflowId=${workflow.id}`);
    expect(runs.body.items).toEqual([]);
  });

  it('keeps webhook paths inside their workspace: dot segments, encoded slashes, another workspace', async () => {
    await activeResponder('inside', { body: { secret: 'team-only' } });
    const outsiderWs = team.outsider.account.workspaceId;
    for (const path of [
      `/hooks/${outsiderWs}/inside`,
      `/hooks/${outsiderWs}/..%2F${team.workspaceId}%2Finside`,
      `/hooks/${outsiderWs}/%2e%2e/%2e%2e/hooks/${team.workspaceId}/inside`,
      `/hooks/${team.workspaceId}/..%2F..%2Fapi%2Fv1%2Fme`,
      `/hooks/${team.workspaceId}/inside%00`,
      `/hooks/not-a-uuid/inside`,
    ]) {
      const answer = await raw('GET', path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.body, path).not.toContain('team-only');
    }
  });

  it('survives oversized headers (431) and hides cookies and credentials from the run', async () => {
    const huge = await raw('POST', `/hooks/${team.workspaceId}/inside`, { 'x-big': 'a'.repeat(64 * 1024) });
    expect(huge.status).toBe(431);
    await activeResponder('echo-headers', { body: '{{ input.headers }}' }, 'POST');
    const answer = await fetch(hookUrl('echo-headers'), {
      method: 'POST',
      headers: {
        cookie: `revflow_session=${team.member.client.sessionCookie ?? ''}`,
        authorization: 'Bearer rf_live_secret',
        'proxy-authorization': 'Basic eA==',
        'x-ok': 'yes',
      },
    });
    const seen = (await answer.json()) as Record<string, string>;
    expect(seen['x-ok']).toBe('yes');
    expect(Object.keys(seen)).not.toEqual(expect.arrayContaining(['cookie']));
    expect(JSON.stringify(seen)).not.toContain('rf_live_secret');
    expect(JSON.stringify(seen)).not.toContain(team.member.client.sessionCookie ?? 'never');
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });

  it('does not let a body pollute prototypes, in JSON or form encoding', async () => {
    await activeResponder('proto', { body: '{{ input.body }}' }, 'POST');
    for (const [type, body] of [
      ['application/json', '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}'],
      [
        'application/x-www-form-urlencoded',
        '__proto__[polluted]=yes&__proto__=x&constructor[prototype][polluted]=yes',
      ],
    ] as const) {
      const answer = await fetch(hookUrl('proto'), {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(answer.status, type).toBe(200);
      expect(({} as Record<string, unknown>).polluted, type).toBeUndefined();
    }
  });

  it('answers hostile text in webhook bodies and queries with 400 naming the field (item 11)', async () => {
    const workflow = await publish('Hostile', [
      { id: 'hook', type: 'trigger.webhook', config: { path: 'hostile' } },
    ]);
    expect((await team.member.client.post(`${base}/workflows/${workflow.id}/activate`)).status).toBe(200);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const cases: Array<[string, string, string, string]> = [
      ['', '{"name":"a\\u0000b"}', 'application/json', 'body.name'],
      ['', '{"name":"\\ud800"}', 'application/json', 'body.name'],
      ['', deep, 'application/json', 'body.0.0.0'],
      ['', 'nul \u0000 here', 'text/plain', 'body'],
      ['?q=%00', '{}', 'application/json', 'query.q'],
    ];
    for (const [query, body, type, field] of cases) {
      const answer = await fetch(`${hookUrl('hostile')}${query}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(answer.status, field).toBe(400);
      const problem = (await answer.json()) as { invalidParams: Array<{ name: string }> };
      expect(
        problem.invalidParams[0]!.name.startsWith(field),
        `${field}: ${problem.invalidParams[0]!.name}`,
      ).toBe(true);
    }
    const runs = await team.viewer.client.get<{ items: unknown[] }>(`${base}/runs?workflowId=${workflow.id}`);
    expect(runs.body.items).toEqual([]);
  });
});
