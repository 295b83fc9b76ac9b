import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { NodeServices } from '../engine/node.js';
import { validateWorkflow } from '../engine/validate.js';
import { CredentialStore } from '../api/credentials/store.js';
import { OutboundAllowLists } from '../api/net/allow-list.js';
import { guardedRequest } from '../api/net/http-client.js';
import { AllowList, checkTarget, forbiddenReason } from '../api/net/ssrf.js';
import { createNodeServices } from '../api/services.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server whose answers the test scripts, and that records what it was sent. */
async function localServer(
  handler: (seen: Seen, res: ServerResponse) => void,
): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      handler(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

let h: Harness;
let api: Awaited<ReturnType<typeof localServer>>;
let other: Awaited<ReturnType<typeof localServer>>;
let bearerId: string;
let basicId: string;
let flaky = 0;
/** The services the harness started with: only 127.0.0.1:<api port> is allow-listed. */
let allowListed: NodeServices;

const TOKEN = 'tok_live_super_secret_123';

beforeAll(async () => {
  api = await localServer((seen, res) => {
    const path = seen.url.split('?')[0];
    if (path === '/echo')
      return json(res, 200, { method: seen.method, url: seen.url, headers: seen.headers, body: seen.body });
    if (path === '/flaky') {
      flaky += 1;
      return flaky <= 2
        ? json(res, 503, { try: 'again' }, { 'retry-after': '0' })
        : json(res, 200, { ok: true, after: flaky });
    }
    if (path === '/slow-down') return json(res, 429, { wait: true }, { 'retry-after': '3600' });
    if (path === '/missing') return json(res, 404, { error: 'no such deal' });
    if (path === '/big') return res.end('x'.repeat(50_000));
    if (path === '/text') return res.end('plain words');
    if (path === '/to-other') {
      res.writeHead(302, { location: `http://127.0.0.1:${other.port}/secret-admin` });
      return res.end();
    }
    if (path === '/hop') {
      res.writeHead(307, { location: '/echo?hopped=1' });
      return res.end();
    }
    if (path === '/chat') return res.end('ok');
    if (path === '/hang') return; // never answers
    if (path === '/chat-down') return json(res, 500, { error: 'down' });
    return json(res, 200, { ok: true });
  });
  // A second local server that is NOT allow-listed: nothing may ever reach it.
  other = await localServer((_seen, res) => json(res, 200, { reached: true }));
  h = await createHarness();
  allowListed = createNodeServices({
    knex: h.db.knex,
    secrets: h.secrets,
    env: { REVFLOW_SSRF_ALLOW_HOSTS: `127.0.0.1:${api.port}` },
  });
  Object.assign(h.services, allowListed);
  const store = new CredentialStore(h.db.knex, h.secrets);
  bearerId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'crm',
      type: 'bearer',
      data: { token: TOKEN },
      createdBy: null,
      // Credentials go only to the hosts they are bound to (issue 11).
      allowedHosts: [`127.0.0.1:${api.port}`],
    })
  ).id;
  basicId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'basic',
      type: 'basicAuth',
      data: { username: 'ada', password: 'pa55word-secret' },
      createdBy: null,
      allowedHosts: [`127.0.0.1:${api.port}`],
    })
  ).id;
});
afterEach(() => {
  Object.assign(h.services, allowListed);
  vi.restoreAllMocks();
});
afterAll(async () => {
  await h?.close();
  api?.server.close();
  other?.server.close();
});

function doc(
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  type = 'http.request',
): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: 'http test',
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'call', type, config, ...extra },
    ],
    edges: [{ from: 'start', to: 'call' }],
  };
}

const registry = createNodeRegistry();
function badFields(config: Record<string, unknown>, type = 'http.request'): string[] {
  const result = validateWorkflow(doc(config, {}, type), registry);
  expect(result.ok).toBe(false);
  return result.issues.map((issue) => issue.field ?? '');
}

describe('http.request', () => {
  it('calls an API with query, JSON body, credential and Idempotency-Key, and never records the secret', async () => {
    const base = `http://127.0.0.1:${api.port}`;
    const { run, steps } = await h.runToEnd(
      doc({
        method: 'POST',
        url: `${base}/echo`,
        query: { deal: '{{ input.deal }}', n: 2 },
        body: { type: 'json', value: { amount: '{{ input.amount }}' } },
        credentialId: bearerId,
      }),
      { deal: 'd-1', amount: 1200 },
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const request = api.seen.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['idempotency-key']).toBe(`${run.id}:call`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ amount: 1200 });
    const sent = new URL(request.url, 'http://x');
    expect(sent.pathname).toBe('/echo');
    expect(Object.fromEntries(sent.searchParams)).toEqual({ deal: 'd-1', n: '2' });
    const step = steps.get('call')!;
    expect(step.output).toMatchObject({
      status: 200,
      body: { method: 'POST', headers: { authorization: 'Bearer [redacted]' } },
    });
    // The echoed token appears nowhere in what the engine stored for the step.
    const stored = JSON.stringify(await h.db.knex('steps').where({ run_id: run.id }));
    expect(stored).not.toContain(TOKEN);
  });

  it('sends basic auth and form bodies, follows an allowed redirect, reads text', async () => {
    const base = `http://127.0.0.1:${api.port}`;
    const { run, steps } = await h.runToEnd(
      doc({
        method: 'PUT',
        url: `${base}/hop`,
        body: { type: 'form', value: { a: 'x y', b: 2 } },
        credentialId: basicId,
      }),
      {},
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const request = api.seen.at(-1)!;
    expect(request.url).toBe('/echo?hopped=1');
    expect(request.body).toBe('a=x+y&b=2');
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from('ada:pa55word-secret').toString('base64')}`,
    );
    expect(JSON.stringify(steps.get('call')!.output)).not.toContain(
      Buffer.from('ada:pa55word-secret').toString('base64'),
    );
    const text = await h.runToEnd(doc({ url: `${base}/text` }), {});
    expect(text.steps.get('call')!.output).toMatchObject({ status: 200, body: 'plain words' });
    // GET carries no Idempotency-Key.
    expect(api.seen.at(-1)!.headers['idempotency-key']).toBeUndefined();
  });

  it('retries 5xx honouring Retry-After, and fails on a Retry-After beyond the bound', async () => {
    const base = `http://127.0.0.1:${api.port}`;
    flaky = 0;
    const { run, steps } = await h.runToEnd(doc({ method: 'POST', url: `${base}/flaky`, retries: 3 }), {});
    expect(run.status).toBe('succeeded');
    expect(steps.get('call')!.output).toMatchObject({ status: 200, body: { ok: true, after: 3 } });
    // The three attempts carried the same key.
    const keys = api.seen.filter((s) => s.url === '/flaky').map((s) => s.headers['idempotency-key']);
    expect(new Set(keys)).toEqual(new Set([`${run.id}:call`]));

    const slow = await h.runToEnd(doc({ url: `${base}/slow-down`, retries: 3 }), {});
    expect(slow.run.status).toBe('failed');
    expect(slow.steps.get('call')!.error).toMatchObject({ code: 'http_status' });
    expect(api.seen.filter((s) => s.url === '/slow-down')).toHaveLength(1);
  });

  it('fails clearly on 4xx, on an oversized response and on a timeout', async () => {
    const base = `http://127.0.0.1:${api.port}`;
    const missing = await h.runToEnd(doc({ url: `${base}/missing` }), {});
    expect(missing.run.status).toBe('failed');
    expect(missing.steps.get('call')!.error).toMatchObject({ code: 'http_status' });
    expect(missing.steps.get('call')!.error!.message).toMatch(/answered 404: .*no such deal/);
    const notFailing = await h.runToEnd(doc({ url: `${base}/missing`, failOnStatus: false }), {});
    expect(notFailing.steps.get('call')!.output).toMatchObject({ status: 404 });
    const big = await h.runToEnd(doc({ url: `${base}/big`, maxResponseBytes: 1000 }), {});
    expect(big.steps.get('call')!.error).toMatchObject({ code: 'response_too_large' });
    const hang = await h.runToEnd(doc({ url: `${base}/hang`, timeoutMs: 300, retries: 0 }), {});
    expect(hang.steps.get('call')!.error).toMatchObject({ code: 'timeout' });
  });

  it('refuses bad configuration, naming the field', () => {
    expect(badFields({})).toContain('config.url');
    expect(badFields({ url: 'ftp://example.com/x' })).toContain('config.url');
    expect(badFields({ url: 'https://example.com', method: 'BREW' })).toContain('config.method');
    expect(badFields({ url: 'https://example.com', body: { type: 'xml', value: '<a/>' } })).toContain(
      'config.body.type',
    );
    expect(badFields({ url: 'https://example.com', retries: 50 })).toContain('config.retries');
  });
});

describe('SSRF guard', () => {
  /** Every connect this process attempts, to prove refused targets were never contacted. */
  function watchConnects(): string[] {
    const hosts: string[] = [];
    const original = net.Socket.prototype.connect;
    vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
      this: net.Socket,
      ...args: unknown[]
    ) {
      // net.createConnection passes its normalized [options, callback] array as one argument.
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      if (first && typeof first === 'object' && 'host' in first)
        hosts.push(String((first as { host?: string }).host));
      return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    });
    return hosts;
  }

  async function refused(
    url: string,
    services?: NodeServices,
  ): Promise<{ message: string; code?: string; field?: string }> {
    if (services) Object.assign(h.services, services);
    const { run, steps } = await h.runToEnd(doc({ url, retries: 0 }), {});
    expect(run.status).toBe('failed');
    return steps.get('call')!.error!;
  }

  it('refuses 127.0.0.1 when it is not allow-listed, before connecting', async () => {
    const before = api.seen.length;
    const strict = createNodeServices({ knex: h.db.knex, secrets: h.secrets, env: {} });
    const error = await refused(`http://127.0.0.1:${api.port}/echo`, strict);
    expect(error).toMatchObject({ code: 'ssrf_blocked', field: 'config.url' });
    expect(error.message).toMatch(/127\.0\.0\.1/);
    expect(api.seen.length).toBe(before);
  });

  it('refuses private, metadata and loopback-resolving hosts without sending any traffic', async () => {
    const connects = watchConnects();
    for (const url of [
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://100.64.0.1/',
      'http://[fd00::1]/',
      `http://localhost:${api.port}/echo`,
    ]) {
      const error = await refused(url);
      expect(error.code, url).toBe('ssrf_blocked');
    }
    expect(connects.filter((host) => !['127.0.0.1', 'localhost', '::1'].includes(host))).toEqual([]);
    // `localhost` resolves to loopback and is not on the allow-list (only 127.0.0.1:<port> is).
    expect(connects.filter((host) => host === 'localhost')).toEqual([]);
    // The watch does see connections: an allowed request shows up in it.
    await h.runToEnd(doc({ url: `http://127.0.0.1:${api.port}/echo` }), {});
    expect(connects).toContain('127.0.0.1');
  });

  it('re-checks every redirect: an allow-listed server cannot bounce the request to another loopback port', async () => {
    const error = await refused(`http://127.0.0.1:${api.port}/to-other`);
    expect(error.code).toBe('ssrf_blocked');
    expect(error.message).toContain(`127.0.0.1:${other.port}`);
    expect(other.seen).toHaveLength(0);
  });

  it('drops credentials when an allowed redirect leaves the origin', async () => {
    Object.assign(
      h.services,
      createNodeServices({
        knex: h.db.knex,
        secrets: h.secrets,
        env: { REVFLOW_SSRF_ALLOW_HOSTS: `127.0.0.1:${api.port} 127.0.0.1:${other.port}` },
      }),
    );
    const { run } = await h.runToEnd(
      doc({
        url: `http://127.0.0.1:${api.port}/to-other`,
        credentialId: bearerId,
        headers: { 'X-Trace': 't-1' },
      }),
      {},
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const reached = other.seen.at(-1)!;
    expect(reached.url).toBe('/secret-admin');
    expect(reached.headers.authorization).toBeUndefined();
    expect(reached.headers['x-trace']).toBe('t-1');
    other.seen.length = 0;
  });

  it('uses the workspace allow-list from the database', async () => {
    const strict = createNodeServices({ knex: h.db.knex, secrets: h.secrets, env: {} });
    // Saved the way the settings route saves it: the list applies at once (issue 19).
    const lists = new OutboundAllowLists(h.db.knex, []);
    await lists.setHosts(h.workspaceId, [`127.0.0.1:${other.port}`]);
    try {
      Object.assign(h.services, strict);
      const { run } = await h.runToEnd(doc({ url: `http://127.0.0.1:${other.port}/hello` }), {});
      expect(run.status).toBe('succeeded');
      expect(other.seen).toHaveLength(1);
    } finally {
      await lists.setHosts(h.workspaceId, []);
    }
  });

  it('classifies addresses, including IPv4-mapped IPv6, and pins the checked address', async () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fc00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
    ]) {
      expect(forbiddenReason(address), address).toBeDefined();
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111'])
      expect(forbiddenReason(address), address).toBeUndefined();
    // A name with any private answer is refused (no lucky first address).
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await expect(
      checkTarget(new URL('http://rebind.example/'), new AllowList([]), mixed),
    ).rejects.toMatchObject({ code: 'ssrf_blocked' });
    // A name that resolves to a public address is pinned to exactly that address; here the
    // "public" answer is faked to the local server's port to prove the connection goes there.
    const fake = async () => [{ address: '127.0.0.1', family: 4 }];
    const pinned = await guardedRequest(
      {
        method: 'GET',
        url: `http://api.partner.example:${api.port}/echo`,
        headers: {},
        timeoutMs: 5000,
        maxResponseBytes: 100_000,
        followRedirects: false,
      },
      new AllowList([`api.partner.example:${api.port}`]),
      { resolve: fake },
    );
    expect(JSON.parse(pinned.body.toString())).toMatchObject({
      headers: { host: `api.partner.example:${api.port}` },
    });
    await expect(checkTarget(new URL('file:///etc/passwd'), new AllowList([]))).rejects.toMatchObject({
      code: 'invalid_url',
    });
  });
});

describe('notify.chat', () => {
  it('posts a Slack-style message through the guarded client', async () => {
    const { run, steps } = await h.runToEnd(
      doc(
        { url: `http://127.0.0.1:${api.port}/chat`, title: 'Deal won', text: '{{ input.name }} signed' },
        {},
        'notify.chat',
      ),
      { name: 'Acme' },
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const payload = JSON.parse(api.seen.at(-1)!.body) as { text: string; blocks: unknown[] };
    expect(payload.text).toBe('Deal won\nAcme signed');
    expect(payload.blocks).toHaveLength(2);
    expect(steps.get('call')!.output).toMatchObject({ status: 200 });
    await h.runToEnd(
      doc({ url: `http://127.0.0.1:${api.port}/chat`, format: 'teams', text: 'hi' }, {}, 'notify.chat'),
      {},
    );
    expect(JSON.parse(api.seen.at(-1)!.body)).toMatchObject({ '@type': 'MessageCard', text: 'hi' });
  });
  it('refuses bad configuration and fails clearly on a failing or forbidden webhook', async () => {
    expect(badFields({ url: 'https://hooks.example.com/x' }, 'notify.chat')).toContain('config.text');
    expect(
      badFields({ url: 'https://hooks.example.com/x', text: 'x', format: 'irc' }, 'notify.chat'),
    ).toContain('config.format');
    const down = await h.runToEnd(
      doc({ url: `http://127.0.0.1:${api.port}/chat-down`, text: 'x' }, {}, 'notify.chat'),
      {},
    );
    expect(down.steps.get('call')!.error).toMatchObject({ code: 'http_status' });
    expect(down.steps.get('call')!.error!.message).toMatch(/answered 500/);
    const blocked = await h.runToEnd(
      doc({ url: 'http://169.254.169.254/hook', text: 'x' }, {}, 'notify.chat'),
      {},
    );
    expect(blocked.steps.get('call')!.error).toMatchObject({ code: 'ssrf_blocked', field: 'config.url' });
  });
});
