/**
 * Webhook abuse against a live server (issue 7): oversized and chunked bodies, bad JSON, odd
 * content types, bad and stale signatures, replayed deliveries, floods past the per-webhook
 * rate limit. Every refusal is a clear problem+json 4xx; every request that got a 2xx has
 * exactly one run, and that run finishes; the server answers the next good request.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../api/hooks/signature.js';
import { createTeam, startApi, type Team, type TestApi } from './helpers/api.js';

interface RunSummary {
  id: string;
  status: string;
  input: { body: unknown; headers: Record<string, string> };
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const RATE_LIMIT = 20;

let server: TestApi;
let team: Team;
let base: string;
const previousRateLimit = process.env.REVFLOW_WEBHOOK_RATE_LIMIT;

beforeAll(async () => {
  // Read by the ingress when the server is built: a low per-path rate, so a flood is cheap.
  process.env.REVFLOW_WEBHOOK_RATE_LIMIT = String(RATE_LIMIT);
  server = await startApi({ engine: true, settings: { bodyLimit: '64kb' } });
  team = await createTeam(server);
  base = `/api/v1/workspaces/${team.workspaceId}`;
});

afterAll(async () => {
  if (previousRateLimit === undefined) delete process.env.REVFLOW_WEBHOOK_RATE_LIMIT;
  else process.env.REVFLOW_WEBHOOK_RATE_LIMIT = previousRateLimit;
  await server?.close();
});

async function activeHook(path: string, trigger: Record<string, unknown> = {}): Promise<string> {
  const document = {
    schemaVersion: 1,
    name: `Abuse ${path}`,
    nodes: [
      { id: 'hook', type: 'trigger.webhook', config: { path, ...trigger } },
      {
        id: 'shape',
        type: 'data.set',
        config: { fields: [{ name: 'seen', value: '{{ typeof input.body }}' }] },
      },
      { id: 'score', type: 'code.javascript', config: { source: 'return { seen: input.seen, ok: true }' } },
    ],
    edges: [
      { from: 'hook', to: 'shape' },
      { from: 'shape', to: 'score' },
    ],
  };
  const client = team.member.client;
  const created = await client.post<{ id: string }>(`${base}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const id = created.body.id;
  expect((await client.post(`${base}/workflows/${id}/publish`, {})).status).toBe(201);
  expect((await client.post(`${base}/workflows/${id}/activate`)).status).toBe(200);
  return id;
}

const hookUrl = (path: string): string => `${server.baseUrl}/hooks/${team.workspaceId}/${path}`;

async function post(
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const response = await fetch(hookUrl(path), { method: 'POST', headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  if (/json/.test(response.headers.get('content-type') ?? '') && text !== '')
    parsed = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A body sent with chunked transfer encoding: no Content-Length announces its size. */
function postChunked(
  path: string,
  chunks: Buffer[],
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      hookUrl(path),
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(parts).toString('utf8'),
            type: String(res.headers['content-type'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  expect(answer.body.status).toBe(status);
  expect(typeof answer.body.title).toBe('string');
}

async function runsOf(workflowId: string): Promise<RunSummary[]> {
  const response = await team.viewer.client.get<{ items: RunSummary[] }>(
    `${base}/runs?workflowId=${workflowId}&limit=200`,
  );
  expect(response.status).toBe(200);
  return response.body.items;
}

/**
 * Nothing lost that was accepted: the workflow has exactly the runs the 2xx answers named,
 * one each, and every one of them finishes successfully.
 */
async function expectExactlyTheAcceptedRuns(workflowId: string, accepted: string[]): Promise<RunSummary[]> {
  expect(new Set(accepted).size).toBe(accepted.length);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const runs = await runsOf(workflowId);
    expect(runs.map((run) => run.id).sort()).toEqual([...accepted].sort());
    if (runs.every((run) => run.status === 'succeeded')) return runs;
    const broken = runs.filter((run) => !['queued', 'running', 'succeeded'].includes(run.status));
    expect(broken, 'accepted runs that did not succeed').toEqual([]);
    if (Date.now() > deadline) throw new Error('accepted runs did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runIdOf = (answer: Answer): string => {
  expect(typeof answer.body.runId).toBe('string');
  return answer.body.runId as string;
};

/** The next ordinary request still gets in. */
async function expectStillServing(path: string, accepted: string[]): Promise<void> {
  const good = await post(path, JSON.stringify({ next: 'good' }));
  expect(good.status).toBe(202);
  accepted.push(runIdOf(good));
}

describe('webhook abuse', () => {
  it('refuses oversized bodies with 413, announced or chunked, and accepts one just under the limit', async () => {
    const workflowId = await activeHook('abuse-size');
    const accepted: string[] = [];

    const big = JSON.stringify({ blob: 'x'.repeat(200 * 1024) });
    const announced = await post('abuse-size', big);
    expectProblem(announced, 413);
    expect(announced.body.detail).toMatch(/too large/);

    const chunk = Buffer.from('x'.repeat(16 * 1024));
    const chunked = await postChunked('abuse-size', [
      Buffer.from('{"blob":"'),
      ...Array.from({ length: 12 }, () => chunk),
      Buffer.from('"}'),
    ]);
    expect(chunked.status).toBe(413);
    expect(chunked.type).toContain('application/problem+json');

    const nearLimit = JSON.stringify({ blob: 'y'.repeat(60 * 1024) });
    const fits = await post('abuse-size', nearLimit);
    expect(fits.status).toBe(202);
    accepted.push(runIdOf(fits));
    await expectStillServing('abuse-size', accepted);

    const runs = await expectExactlyTheAcceptedRuns(workflowId, accepted);
    const stored = runs.find((run) => run.id === accepted[0]);
    expect((stored?.input.body as { blob: string }).blob).toHaveLength(60 * 1024);
  });

  it('answers bad JSON with 400 naming the body, for every JSON media type', async () => {
    const workflowId = await activeHook('abuse-json');
    const accepted: string[] = [];
    const cases: Array<[string, string]> = [
      ['{"qty": ', 'application/json'],
      ["{'single': 'quotes'}", 'application/json; charset=utf-8'],
      ['{"a":1}{"b":2}', 'application/json'],
      ['[1, 2,]', 'application/vnd.acme.event+json'],
      ['\u00ef\u00bb\u00bf not json', 'Application/JSON'],
    ];
    for (const [body, type] of cases) {
      const answer = await post('abuse-json', body, { 'content-type': type });
      expectProblem(answer, 400);
      expect(answer.body.detail).toMatch(/not valid JSON/);
      expect(answer.body.invalidParams).toEqual([{ name: 'body', reason: 'not valid JSON' }]);
      await expectStillServing('abuse-json', accepted);
    }
    await expectExactlyTheAcceptedRuns(workflowId, accepted);
  });

  it('never reinterprets a body by guessing: other content types reach the run as sent', async () => {
    const workflowId = await activeHook('abuse-type');
    const sent: Array<{ headers: Record<string, string>; body: string; expect: unknown }> = [
      // JSON text declared as plain text stays text: nothing parses what the sender did not label.
      { headers: { 'content-type': 'text/plain' }, body: '{"qty":1}', expect: '{"qty":1}' },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'qty=2&price=3&qty=4',
        expect: { qty: '4', price: '3' },
      },
      { headers: { 'content-type': 'application/xml' }, body: '<a>1</a>', expect: '<a>1</a>' },
      { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', expect: '--x--' },
      { headers: {}, body: 'no type at all', expect: 'no type at all' },
    ];
    const accepted: string[] = [];
    for (const request of sent) {
      const answer = await post('abuse-type', request.body, request.headers);
      expect(answer.status, request.body).toBe(202);
      accepted.push(runIdOf(answer));
    }
    const runs = await expectExactlyTheAcceptedRuns(workflowId, accepted);
    sent.forEach((request, index) => {
      const run = runs.find((candidate) => candidate.id === accepted[index]);
      expect(run?.input.body, request.body).toEqual(request.expect);
    });
  });

  it('refuses bad signatures with 401 and the reason, and accepts a rotated key alongside', async () => {
    const workflowId = await activeHook('abuse-signed', { signed: true });
    const hooks = await team.admin.client.get<{ items: Array<{ secret: string }> }>(
      `${base}/workflows/${workflowId}/webhooks`,
    );
    const secret = hooks.body.items[0]!.secret;
    const body = JSON.stringify({ order: 'A-1', amount: 100 });
    const json = { 'content-type': 'application/json' };
    const now = Math.floor(Date.now() / 1000);
    const refused: Array<[string, Record<string, string>, RegExp, string?]> = [
      ['no signature', json, /missing/],
      ['a made-up header', { ...json, 'revflow-signature': 'garbage' }, /must look like/],
      ['no timestamp', { ...json, 'revflow-signature': 'v1=abcdef' }, /must look like/],
      ['a non-numeric timestamp', { ...json, 'revflow-signature': 't=soon,v1=abcdef' }, /must look like/],
      [
        'the wrong secret',
        { ...json, 'revflow-signature': signPayload('whsec_guess', body) },
        /does not match/,
      ],
      [
        'a signature of another body',
        { ...json, 'revflow-signature': signPayload(secret, body) },
        /does not match/,
        JSON.stringify({ order: 'A-1', amount: 1_000_000 }),
      ],
      [
        'a truncated signature',
        { ...json, 'revflow-signature': signPayload(secret, body).slice(0, -2) },
        /does not match/,
      ],
      [
        'a timestamp from the future',
        { ...json, 'revflow-signature': signPayload(secret, body, now + 3600) },
        /tolerance/,
      ],
    ];
    const accepted: string[] = [];
    for (const [what, headers, reason, otherBody] of refused) {
      const answer = await post('abuse-signed', otherBody ?? body, headers);
      expectProblem(answer, 401);
      expect(answer.body.reason, what).toMatch(reason);
    }
    // Several v1 values (a sender rotating keys): one good one is enough.
    const good = signPayload(secret, body);
    const rotated = `${good},v1=${'0'.repeat(64)}`;
    const answer = await post('abuse-signed', body, { ...json, 'revflow-signature': rotated });
    expect(answer.status).toBe(202);
    accepted.push(runIdOf(answer));
    await expectExactlyTheAcceptedRuns(workflowId, accepted);
  });

  it('rejects a replayed old delivery and starts one run for a delivery id sent again', async () => {
    const workflowId = await activeHook('abuse-replay', { signed: true });
    const hooks = await team.admin.client.get<{ items: Array<{ secret: string }> }>(
      `${base}/workflows/${workflowId}/webhooks`,
    );
    const secret = hooks.body.items[0]!.secret;
    const body = JSON.stringify({ invoice: 'in_1', paid: true });
    const sign = (timestamp?: number): Record<string, string> => ({
      'content-type': 'application/json',
      'revflow-signature': signPayload(secret, body, timestamp),
    });

    // A request captured six minutes ago and played again: its signature is still right, its time is not.
    const old = await post('abuse-replay', body, sign(Math.floor(Date.now() / 1000) - 360));
    expectProblem(old, 401);
    expect(old.body.reason).toMatch(/tolerance/);

    // The same delivery sent twice (a sender's retry): the second answers success, starts nothing.
    const delivery = { ...sign(), 'idempotency-key': 'delivery-0001' };
    const first = await post('abuse-replay', body, delivery);
    expect(first.status).toBe(202);
    const again = await post('abuse-replay', body, delivery);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toMatchObject({ runId: first.body.runId, replayed: true });

    // Ten copies of one new delivery at once: one run; each copy succeeds or is told to retry.
    // A new delivery is signed anew: the same body under the same timestamp is the same signed
    // request, which is a replay whatever Idempotency-Key it carries (issue 11).
    const burstSignature = sign(Math.floor(Date.now() / 1000) + 2);
    const burst = await Promise.all(
      Array.from({ length: 10 }, () =>
        post('abuse-replay', body, { ...burstSignature, 'idempotency-key': 'delivery-0002' }),
      ),
    );
    const statuses = burst.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    for (const answer of burst) expect([200, 202, 409]).toContain(answer.status);
    const burstRun = runIdOf(burst.find((answer) => answer.status === 202)!);
    for (const answer of burst.filter((candidate) => candidate.status === 200))
      expect(answer.body.runId).toBe(burstRun);
    // A copy told to retry (409) sends the same signed request again and gets the first run.
    // (Signed anew with sign() it could share the second of delivery-0001's signature, and the
    // same body under the same timestamp is that request replayed.)
    const retried = await post('abuse-replay', body, { ...burstSignature, 'idempotency-key': 'delivery-0002' });
    expect(retried.status).toBe(200);
    expect(retried.body.runId).toBe(burstRun);

    // An empty or oversized delivery id is refused, not ignored.
    for (const key of ['', 'k'.repeat(256)]) {
      const answer = await post('abuse-replay', body, { ...sign(), 'idempotency-key': key });
      expectProblem(answer, 400);
      expect(answer.body.invalidParams).toEqual([{ name: 'headers.idempotency-key', reason: 'length' }]);
    }
    await expectExactlyTheAcceptedRuns(workflowId, [runIdOf(first), burstRun]);
  });

  it('answers a flood past the rate limit with 429 and Retry-After, loses no accepted request, and spares other webhooks', async () => {
    const floodedId = await activeHook('abuse-flood');
    const quietId = await activeHook('abuse-quiet');
    const floodSize = RATE_LIMIT * 4;
    const [flood, quiet] = await Promise.all([
      Promise.all(
        Array.from({ length: floodSize }, (_, index) => post('abuse-flood', JSON.stringify({ index }))),
      ),
      post('abuse-quiet', JSON.stringify({ bystander: true })),
    ]);
    const accepted = flood.filter((answer) => answer.status === 202);
    const limited = flood.filter((answer) => answer.status === 429);
    expect(accepted.length + limited.length).toBe(floodSize);
    expect(accepted.length).toBeGreaterThanOrEqual(RATE_LIMIT);
    expect(limited.length).toBeGreaterThan(0);
    for (const answer of limited) {
      expectProblem(answer, 429);
      expect(answer.body.type).toBe('https://revflow.dev/problems/rate-limited');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // The other webhook was not throttled by its neighbour's flood.
    expect(quiet.status).toBe(202);

    // After the advertised wait, the flooded webhook answers again.
    const wait = Math.max(...limited.map((answer) => Number(answer.headers.get('retry-after'))));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    const acceptedIds = accepted.map(runIdOf);
    await expectStillServing('abuse-flood', acceptedIds);

    const runs = await expectExactlyTheAcceptedRuns(floodedId, acceptedIds);
    // Each accepted request is its own run, with its own body.
    const indexes = runs
      .map((run) => (run.input.body as { index?: number }).index)
      .filter((index) => index !== undefined);
    expect(new Set(indexes).size).toBe(accepted.length);
    await expectExactlyTheAcceptedRuns(quietId, [runIdOf(quiet)]);
  });

  it('keeps serving after bodies Postgres cannot store as text', async () => {
    const workflowId = await activeHook('abuse-nul');
    const accepted: string[] = [];
    const answers = [
      await post('abuse-nul', 'nul \u0000 byte', { 'content-type': 'text/plain' }),
      await post('abuse-nul', '{"a":"\\u0000"}'),
      await post('abuse-nul', new Uint8Array([0xff, 0xfe, 0x00, 0x41]), { 'content-type': 'text/plain' }),
    ];
    for (const answer of answers) {
      // Refused as a client error or accepted and stored: never a 5xx.
      expect(answer.status).toBeLessThan(500);
      if (answer.status === 202) accepted.push(runIdOf(answer));
      else expectProblem(answer, answer.status);
    }
    await expectStillServing('abuse-nul', accepted);
    await expectExactlyTheAcceptedRuns(workflowId, accepted);
  });
});
