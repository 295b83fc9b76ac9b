/**
 * SSRF and credential exfiltration through http.request, driven over the HTTP API (issue 11,
 * items 8 and 13): a member's workflow takes its URL from the run input, so every spelling of a
 * private address is one run. A local server records every request it gets: a refused target
 * must never reach it. Credentials are bound to the hosts an admin names.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedRequest } from '../api/net/http-client.js';
import { AllowList, checkTarget, forbiddenReason } from '../api/net/ssrf.js';
import { createTeam, startApi, type ApiClient, type Team, type TestApi } from './helpers/api.js';

interface StepBody {
  nodeId: string;
  status: string;
  output: unknown;
  error: { code?: string; message: string; field?: string } | null;
}
interface RunBody {
  id: string;
  status: string;
  steps: StepBody[];
}

const TOKEN = 'admin_crm_token_never_leaves_42';
let server: TestApi;
let team: Team;
let base: string;
let target: Server;
let other: Server;
let port = 0;
let otherPort = 0;
const seen: Array<{ port: number; url: string; headers: IncomingHttpHeaders }> = [];

function listen(
  handler: (url: string, res: ServerResponse) => void,
): Promise<{ server: Server; port: number }> {
  const created = createServer((req, res) => {
    seen.push({ port: (req.socket.address() as AddressInfo).port, url: req.url ?? '', headers: req.headers });
    handler(req.url ?? '', res);
  });
  return new Promise((resolve) =>
    created.listen(0, '127.0.0.1', () =>
      resolve({ server: created, port: (created.address() as AddressInfo).port }),
    ),
  );
}

beforeAll(async () => {
  ({ server: target, port } = await listen((url, res) => {
    if (url.startsWith('/bounce')) {
      const to = new URL(url, 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ reached: true }));
  }));
  ({ server: other, port: otherPort } = await listen((_url, res) => res.end('{"other":true}')));
  server = await startApi({ engine: true });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});
afterAll(async () => {
  await server?.close();
  target?.close();
  other?.close();
});

/** Replace the workspace's outbound allow-list; the engine's copy is cached for up to a second. */
async function allowList(hosts: string[]): Promise<void> {
  const answer = await team.admin.client.put(`${base}/outbound-hosts`, { hosts });
  expect(answer.status, answer.text).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
}

/** A published workflow whose http.request calls `{{ input.url }}`, with an optional credential. */
async function caller(client: ApiClient, credentialId?: string): Promise<string> {
  const created = await client.post<{ id: string }>(`${base}/workflows`, {
    schemaVersion: 1,
    name: `Caller ${Math.random().toString(36).slice(2, 7)}`,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      {
        id: 'call',
        type: 'http.request',
        config: {
          url: '{{ input.url }}',
          retries: 0,
          timeoutMs: 2_000,
          ...(credentialId ? { credentialId } : {}),
        },
      },
    ],
    edges: [{ from: 'start', to: 'call' }],
  });
  expect(created.status, created.text).toBe(201);
  const published = await client.post(`${base}/workflows/${created.body.id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  return created.body.id;
}

async function callStep(client: ApiClient, workflowId: string, url: string): Promise<StepBody> {
  const started = await client.post<{ id: string }>(`${base}/workflows/${workflowId}/runs`, {
    input: { url },
  });
  expect(started.status, started.text).toBe(202);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await client.get<RunBody>(`${base}/runs/${started.body.id}`);
    if (['succeeded', 'failed'].includes(run.body.status)) {
      expect(run.text).not.toContain(TOKEN);
      const step = run.body.steps.find((candidate) => candidate.nodeId === 'call');
      if (!step) throw new Error(`no call step in ${run.text}`);
      return step;
    }
    if (Date.now() > deadline) throw new Error(`run still ${run.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the SSRF guard, from a workflow', () => {
  it('refuses every spelling of a private, loopback or reserved address without sending a byte', async () => {
    const workflowId = await caller(team.member.client);
    const refused = [
      `http://[::127.0.0.1]:${port}/`, // IPv4-compatible IPv6 (::/96): got through before issue 11
      `http://[::7f00:1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`, // IPv4-mapped
      `http://[0:0:0:0:0:ffff:7f00:1]:${port}/`,
      `http://[::ffff:0:7f00:1]:${port}/`, // IPv4-translated
      `http://[64:ff9b::7f00:1]:${port}/`, // NAT64, well-known prefix
      `http://[64:ff9b:1::a00:1]:${port}/`, // NAT64, local-use prefix
      `http://[2002:7f00:1::1]:${port}/`, // 6to4 of 127.0.0.1
      `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${port}/`, // Teredo
      `http://[::1]:${port}/`,
      `http://[::]:${port}/`,
      `http://[fe80::1]:${port}/`, // link-local
      `http://[fd00::1]:${port}/`, // unique-local
      `http://2130706433:${port}/`, // decimal 127.0.0.1
      `http://0177.0.0.1:${port}/`, // octal
      `http://0x7f.0.0.1:${port}/`, // hex
      `http://0x7f000001:${port}/`,
      `http://127.1:${port}/`, // short form
      `http://0.0.0.0:${port}/`,
      `http://0:${port}/`,
      'http://169.254.169.254/latest/meta-data/', // cloud metadata
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://100.64.0.1/', // CGNAT
      'http://10.0.0.1/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://198.18.0.1/', // benchmarking
      'http://224.0.0.1/', // multicast
      'http://255.255.255.255/',
    ];
    const before = seen.length;
    for (const url of refused) {
      const step = await callStep(team.member.client, workflowId, url);
      expect(step.status, url).toBe('failed');
      expect(step.error, url).toMatchObject({ code: 'ssrf_blocked', field: 'config.url' });
    }
    expect(seen.length, 'requests that reached the local server').toBe(before);
  });

  it('refuses names that resolve to loopback, with or without a trailing dot', async () => {
    const workflowId = await caller(team.member.client);
    const before = seen.length;
    for (const url of [
      `http://localhost:${port}/`,
      `http://localhost.:${port}/`,
      `http://LOCALHOST:${port}/`,
    ]) {
      const step = await callStep(team.member.client, workflowId, url);
      expect(step.status, url).toBe('failed');
      expect(['ssrf_blocked', 'network'], url).toContain(step.error?.code);
    }
    expect(seen.length).toBe(before);
  });

  it('re-checks redirects: an allow-listed host cannot bounce the request to a private one', async () => {
    await allowList([`127.0.0.1:${port}`]);
    try {
      const workflowId = await caller(team.member.client);
      for (const to of [
        `http://127.0.0.1:${otherPort}/admin`,
        `http://[::127.0.0.1]:${otherPort}/admin`,
        `http://[::ffff:7f00:1]:${otherPort}/admin`,
        `http://2130706433:${otherPort}/admin`,
        'http://169.254.169.254/latest/meta-data/',
      ]) {
        const step = await callStep(
          team.member.client,
          workflowId,
          `http://127.0.0.1:${port}/bounce?to=${encodeURIComponent(to)}`,
        );
        expect(step.error, to).toMatchObject({ code: 'ssrf_blocked' });
      }
      expect(seen.filter((request) => request.port === otherPort)).toEqual([]);
    } finally {
      await allowList([]);
    }
  });
});

describe('the SSRF guard itself', () => {
  it('classifies the embedded-IPv4 and reserved IPv6 ranges', () => {
    for (const address of [
      '::127.0.0.1',
      '::7f00:1',
      '::a00:1',
      '::',
      '::1',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::',
      '2001::1',
      '100::1',
      '3fff::1',
      '::ffff:0:a00:1',
    ])
      expect(forbiddenReason(address), address).toBeDefined();
    // Public addresses, IPv4 and IPv6, and a public IPv4 in mapped form, stay reachable.
    for (const address of [
      '93.184.216.34',
      '2606:4700::6810:85e5',
      '::ffff:93.184.216.34',
      '2a00:1450:4001::1',
    ])
      expect(forbiddenReason(address), address).toBeUndefined();
  });

  it('refuses a name with one private address among public ones', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '::127.0.0.1', family: 6 },
    ];
    await expect(
      checkTarget(new URL('http://mixed.example/'), new AllowList([]), resolve),
    ).rejects.toMatchObject({
      code: 'ssrf_blocked',
    });
  });

  it('is not fooled by DNS rebinding: it resolves once per hop and connects to the address it checked', async () => {
    let lookups = 0;
    // First answer public, every later one the local server: a rebinding name.
    const resolve = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const before = seen.length;
    const attempt = guardedRequest(
      {
        method: 'GET',
        url: `http://rebind.example:${port}/`,
        headers: {},
        timeoutMs: 500,
        maxResponseBytes: 1_000,
        followRedirects: true,
      },
      new AllowList([]),
      { resolve },
    );
    // The connection goes to the public address that was checked (unreachable from here), never
    // to the one a second lookup would give.
    const error = (await attempt.catch((failure: unknown) => failure)) as { code?: string };
    expect(['network', 'timeout']).toContain(error.code);
    expect(lookups).toBe(1);
    expect(seen.length).toBe(before);
  });
});

describe('credentials bound to hosts (item 8)', () => {
  const createBearer = async (allowedHosts?: string[]): Promise<string> => {
    const created = await team.admin.client.post<{ id: string; allowedHosts?: string[] }>(
      `${base}/credentials`,
      {
        name: `CRM ${Math.random().toString(36).slice(2, 7)}`,
        type: 'bearer',
        data: { token: TOKEN },
        ...(allowedHosts ? { allowedHosts } : {}),
      },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body.allowedHosts).toEqual(allowedHosts);
    return created.body.id;
  };

  it("a member cannot send an admin's credential to a host of their own", async () => {
    const credentialId = await createBearer(['api.partner.example']);
    // The member's host passes the SSRF guard (allow-listed), so only the binding stands in the way.
    await allowList([`127.0.0.1:${port}`]);
    try {
      const workflowId = await caller(team.member.client, credentialId);
      const before = seen.length;
      for (const url of [
        `http://127.0.0.1:${port}/echo`,
        'http://api.partner.example.evil.test/',
        'http://evil.test/?api.partner.example',
      ]) {
        const step = await callStep(team.member.client, workflowId, url);
        expect(step.error, url).toMatchObject({ code: 'credential_host', field: 'config.url' });
        expect(step.error?.message, url).toMatch(/may be sent only to api\.partner\.example/);
      }
      expect(seen.slice(before).filter((request) => JSON.stringify(request.headers).includes(TOKEN))).toEqual(
        [],
      );
      expect(seen.length).toBe(before);
    } finally {
      await allowList([]);
    }
  });

  it("an unbound credential goes only to hosts on the admins' allow-list; the admin binds it, a member cannot", async () => {
    const credentialId = await createBearer();
    const workflowId = await caller(team.member.client, credentialId);
    const unbound = await callStep(team.member.client, workflowId, 'http://203.0.113.9/');
    expect(unbound.error).toMatchObject({ code: 'credential_host' });
    expect(unbound.error?.message).toMatch(/not bound to any host/);

    const byMember = await team.member.client.put(`${base}/credentials/${credentialId}`, {
      allowedHosts: ['evil.test'],
    });
    expect(byMember.status).toBe(403);
    const bad = await team.admin.client.put(`${base}/credentials/${credentialId}`, {
      allowedHosts: ['http://x/y'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.invalidParams?.[0]?.name).toBe('body.allowedHosts.0');

    const bound = await team.admin.client.put<{ allowedHosts: string[] }>(
      `${base}/credentials/${credentialId}`,
      {
        allowedHosts: [`127.0.0.1:${port}`],
      },
    );
    expect(bound.status, bound.text).toBe(200);
    expect(bound.body.allowedHosts).toEqual([`127.0.0.1:${port}`]);
    await allowList([`127.0.0.1:${port}`, `127.0.0.1:${otherPort}`]);
    try {
      const ok = await callStep(team.member.client, workflowId, `http://127.0.0.1:${port}/echo`);
      expect(ok.status).toBe('succeeded');
      expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      // Same address, another port: not what the admin bound it to.
      const elsewhere = await callStep(team.member.client, workflowId, `http://127.0.0.1:${otherPort}/`);
      expect(elsewhere.error).toMatchObject({ code: 'credential_host' });
      expect(seen.filter((request) => request.port === otherPort)).toEqual([]);
      // null unbinds it again: back to the workspace allow-list only.
      const unbind = await team.admin.client.put<{ allowedHosts?: string[] }>(
        `${base}/credentials/${credentialId}`,
        {
          allowedHosts: null,
        },
      );
      expect(unbind.status).toBe(200);
      expect(unbind.body.allowedHosts).toBeUndefined();
    } finally {
      await allowList([]);
    }
  });

  it('holds the mail path to the binding too: an SMTP credential is used only with a server on its list', async () => {
    const created = await team.admin.client.post<{ id: string }>(`${base}/credentials`, {
      name: 'Bound SMTP',
      type: 'smtp',
      data: { host: '127.0.0.1', port: otherPort, username: 'mailer', password: TOKEN, from: 'a@b.example' },
      allowedHosts: ['smtp.partner.example'],
    });
    expect(created.status, created.text).toBe(201);
    const workflow = await team.member.client.post<{ id: string }>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'Mail with a bound credential',
      nodes: [
        { id: 'start', type: 'trigger.manual', config: {} },
        {
          id: 'call',
          type: 'email.send',
          config: { credentialId: created.body.id, to: 'x@y.example', subject: 'hi', text: 'hi' },
        },
      ],
      edges: [{ from: 'start', to: 'call' }],
    });
    expect(workflow.status, workflow.text).toBe(201);
    expect((await team.member.client.post(`${base}/workflows/${workflow.body.id}/publish`, {})).status).toBe(
      201,
    );
    const before = seen.length;
    const step = await callStep(team.member.client, workflow.body.id, 'unused');
    expect(step.error).toMatchObject({ code: 'credential', field: 'config.credentialId' });
    expect(step.error?.message).toMatch(/may be sent only to smtp\.partner\.example/);
    expect(seen.length).toBe(before);
  });
});
