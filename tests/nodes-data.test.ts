import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { Json } from '../engine/json.js';
import { validateWorkflow } from '../engine/validate.js';
import { CredentialStore } from '../api/credentials/store.js';
import { createNodeRegistry } from '../nodes/index.js';
import { createHarness, type Harness } from './helpers/harness.js';

/** One node after a manual trigger. */
function single(
  type: string,
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name: `${type} test`,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'node', type, config, ...extra },
    ],
    edges: [{ from: 'start', to: 'node' }],
  };
}

const registry = createNodeRegistry();
/** The fields validation complains about for one node's config. */
function badFields(type: string, config: Record<string, unknown>): string[] {
  const result = validateWorkflow(single(type, config), registry);
  expect(result.ok).toBe(false);
  return result.issues.filter((issue) => issue.nodeId === 'node').map((issue) => issue.field ?? '');
}

let h: Harness;
let hmacCredentialId: string;
let smtpCredentialId: string;

beforeAll(async () => {
  h = await createHarness();
  const store = new CredentialStore(h.db.knex, h.secrets);
  hmacCredentialId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'signing',
      type: 'apiKey',
      data: { key: 'hmac-secret-value', headerName: 'X-Key' },
      createdBy: null,
    })
  ).id;
  smtpCredentialId = (
    await store.create({
      workspaceId: h.workspaceId,
      name: 'smtp',
      type: 'smtp',
      data: { host: '127.0.0.1', port: 25, secure: false },
      createdBy: null,
    })
  ).id;
});
afterAll(async () => {
  await h?.close();
});

async function output(type: string, config: Record<string, unknown>, input: Json): Promise<Json> {
  const { run, steps } = await h.runToEnd(single(type, config), input);
  expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
  return steps.get('node')!.output;
}

async function failure(type: string, config: Record<string, unknown>, input: Json) {
  const { run, steps } = await h.runToEnd(single(type, config), input);
  expect(run.status).toBe('failed');
  return steps.get('node')!.error!;
}

describe('data.text', () => {
  it('renders a template with expressions into a string', async () => {
    expect(
      await output(
        'data.text',
        { template: 'Hi {{ input.name }}, {{ input.n * 2 }} seats' },
        { name: 'Ada', n: 3 },
      ),
    ).toEqual({ name: 'Ada', n: 3, text: 'Hi Ada, 6 seats' });
    // A single expression with a non-string value is written as JSON.
    expect(
      await output(
        'data.text',
        { template: '{{ input.list }}', keepInput: false, outputField: 'out' },
        { list: [1, 2] },
      ),
    ).toEqual({ out: '[1,2]' });
  });
  it('refuses a missing template and a failing expression names the step error', async () => {
    expect(badFields('data.text', {})).toContain('config.template');
    const error = await failure('data.text', { template: '{{ input.nope.deeper }}' }, {});
    expect(error.code).toBe('expression');
  });
});

describe('data.json', () => {
  it('parses, stringifies and picks', async () => {
    expect(
      await output(
        'data.json',
        { operation: 'parse', value: '{{ input.raw }}', keepInput: false },
        { raw: '{"a":[1,{"b":2}]}' },
      ),
    ).toEqual({ json: { a: [1, { b: 2 }] } });
    expect(await output('data.json', { operation: 'stringify', keepInput: false }, { a: 1 })).toEqual({
      json: '{"a":1}',
    });
    expect(
      await output(
        'data.json',
        { operation: 'pick', paths: ['customer.email', 'plan', 'missing.x'], keepInput: false },
        { customer: { email: 'a@b.c', phone: '1' }, plan: 'pro', other: 1 },
      ),
    ).toEqual({ json: { customer: { email: 'a@b.c' }, plan: 'pro' } });
  });
  it('validates the operation and pick paths', () => {
    expect(badFields('data.json', { operation: 'explode' })).toContain('config.operation');
    expect(badFields('data.json', { operation: 'pick' })).toContain('config.paths');
  });
  it('fails clearly on invalid JSON', async () => {
    const error = await failure('data.json', { operation: 'parse', value: '{nope' }, {});
    expect(error).toMatchObject({ code: 'invalid_input', field: 'config.value' });
    expect(error.message).toMatch(/not valid JSON/);
  });
});

describe('data.crypto', () => {
  it('hashes, signs with a credential key and makes uuids', async () => {
    expect(await output('data.crypto', { operation: 'hash', value: 'abc', keepInput: false }, {})).toEqual({
      result: createHash('sha256').update('abc').digest('hex'),
    });
    expect(
      await output(
        'data.crypto',
        { operation: 'hash', algorithm: 'md5', encoding: 'base64', value: '{{ input.t }}', keepInput: false },
        { t: 'x' },
      ),
    ).toEqual({
      result: createHash('md5').update('x').digest('base64'),
    });
    const signed = await output(
      'data.crypto',
      {
        operation: 'hmac',
        algorithm: 'sha512',
        value: 'payload',
        credentialId: hmacCredentialId,
        keepInput: false,
      },
      {},
    );
    expect(signed).toEqual({
      result: createHmac('sha512', 'hmac-secret-value').update('payload').digest('hex'),
    });
    const uuid = (await output('data.crypto', { operation: 'uuid' }, { a: 1 })) as {
      a: number;
      result: string;
    };
    expect(uuid.a).toBe(1);
    expect(uuid.result).toMatch(/^[0-9a-f-]{36}$/);
  });
  it('validates: hash needs a value, hmac a credential and no md5', () => {
    expect(badFields('data.crypto', { operation: 'hash' })).toContain('config.value');
    expect(badFields('data.crypto', { operation: 'hmac', value: 'x' })).toContain('config.credentialId');
    expect(
      badFields('data.crypto', { operation: 'hmac', value: 'x', credentialId: 'c', algorithm: 'md5' }),
    ).toContain('config.algorithm');
    expect(badFields('data.crypto', { operation: 'hash', value: 'x', algorithm: 'sha1' })).toContain(
      'config.algorithm',
    );
  });
  it('fails clearly with an unknown or unusable credential', async () => {
    const missing = await failure(
      'data.crypto',
      { operation: 'hmac', value: 'x', credentialId: '00000000-0000-4000-8000-000000000000' },
      {},
    );
    expect(missing).toMatchObject({ code: 'credential', field: 'config.credentialId' });
    expect(missing.message).toMatch(/does not exist/);
    const smtp = await failure(
      'data.crypto',
      { operation: 'hmac', value: 'x', credentialId: smtpCredentialId },
      {},
    );
    expect(smtp).toMatchObject({ field: 'config.credentialId' });
  });
});

describe('data.dateTime', () => {
  it('formats, parses, adds across DST and compares in IANA zones', async () => {
    expect(
      await output(
        'data.dateTime',
        {
          operation: 'format',
          value: '2026-03-28T12:00:00Z',
          timeZone: 'Europe/Berlin',
          format: "dd.MM.yyyy HH:mm 'Uhr' XXX",
          keepInput: false,
        },
        {},
      ),
    ).toEqual({ date: '28.03.2026 13:00 Uhr +01:00' });
    // Text without an offset is wall-clock time in the zone.
    const parsed = (await output(
      'data.dateTime',
      { operation: 'parse', value: '2026-07-01 09:30', timeZone: 'America/New_York', keepInput: false },
      {},
    )) as { date: { iso: string } };
    expect(parsed.date.iso).toBe('2026-07-01T13:30:00.000Z');
    // Berlin moves to summer time on 2026-03-29: one day later is the same wall-clock time, 23 h later.
    const added = (await output(
      'data.dateTime',
      {
        operation: 'add',
        value: '2026-03-28T12:00:00Z',
        amount: 1,
        unit: 'days',
        timeZone: 'Europe/Berlin',
        keepInput: false,
      },
      {},
    )) as {
      date: { iso: string; local: string };
    };
    expect(added.date).toMatchObject({
      iso: '2026-03-29T11:00:00.000Z',
      local: '2026-03-29T13:00:00.000+02:00',
    });
    const monthEnd = (await output(
      'data.dateTime',
      { operation: 'add', value: '2026-01-31T10:00:00Z', amount: 1, unit: 'months', keepInput: false },
      {},
    )) as { date: { iso: string } };
    expect(monthEnd.date.iso).toBe('2026-02-28T10:00:00.000Z');
    expect(
      await output(
        'data.dateTime',
        { operation: 'compare', value: '{{ input.a }}', other: '{{ input.b }}', keepInput: false },
        { a: '2026-01-02T00:00:00Z', b: '2026-01-01T00:00:00Z' },
      ),
    ).toEqual({
      date: { before: false, after: true, equal: false, diffMs: 86_400_000, diffDays: 1 },
    });
  });
  it('validates the zone and the operation', () => {
    expect(badFields('data.dateTime', { operation: 'format', timeZone: 'Mars/Olympus' })).toContain(
      'config.timeZone',
    );
    expect(badFields('data.dateTime', { operation: 'shift' })).toContain('config.operation');
    expect(badFields('data.dateTime', { operation: 'add', amount: 1.5, unit: 'days' })).toContain(
      'config.amount',
    );
  });
  it('fails clearly on a value that is not a date', async () => {
    const error = await failure(
      'data.dateTime',
      { operation: 'parse', value: '{{ input.when }}' },
      { when: 'next tuesday-ish' },
    );
    expect(error).toMatchObject({ code: 'invalid_input', field: 'config.value' });
    expect(error.message).toMatch(/is not a date/);
  });
});

describe('logic.filter', () => {
  it('keeps the items that match, in order', async () => {
    const deals = [
      { id: 1, amount: 500 },
      { id: 2, amount: 5000 },
      { id: 3, amount: 12000 },
    ];
    expect(
      await output(
        'logic.filter',
        { items: '{{ input.deals }}', condition: { '>=': [{ var: 'input.amount' }, 1000] } },
        { deals },
      ),
    ).toEqual([deals[1], deals[2]]);
    expect(
      await output('logic.filter', { condition: { '==': [{ var: 'input' }, 'b'] } }, ['a', 'b', 'c', 'b']),
    ).toEqual(['b', 'b']);
  });
  it('needs a condition', () => {
    expect(badFields('logic.filter', {})).toContain('config.condition');
  });
  it('fails clearly when the items are not a list', async () => {
    const error = await failure('logic.filter', { condition: true }, { not: 'a list' });
    expect(error).toMatchObject({ code: 'invalid_input', field: 'config.items' });
  });
});

describe('flow.stop', () => {
  it('ends a branch as succeeded', async () => {
    expect(await output('flow.stop', { message: 'nothing to do' }, { a: 1 })).toEqual({
      stopped: true,
      message: 'nothing to do',
      input: { a: 1 },
    });
  });
  it('fails the run with its message', async () => {
    const { run, steps } = await h.runToEnd(
      single('flow.stop', { outcome: 'failed', message: 'Customer {{ input.id }} is blocked' }),
      { id: 'c-7' },
    );
    expect(run.status).toBe('failed');
    expect(run.error?.message).toContain('Customer c-7 is blocked');
    expect(steps.get('node')!.error).toMatchObject({ code: 'stopped', message: 'Customer c-7 is blocked' });
  });
  it('validates the outcome and allows nothing after it', () => {
    expect(badFields('flow.stop', { outcome: 'maybe' })).toContain('config.outcome');
    const after = validateWorkflow(
      {
        schemaVersion: 1,
        name: 'after stop',
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          { id: 'node', type: 'flow.stop', config: {} },
          { id: 'next', type: 'data.set', config: {} },
        ],
        edges: [
          { from: 'start', to: 'node' },
          { from: 'node', to: 'next' },
        ],
      },
      registry,
    );
    expect(after.ok).toBe(false);
  });
});
