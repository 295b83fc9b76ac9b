import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aiConfigFromEnv, type AiConfig } from '../api/ai/config.js';
import { createAiService } from '../api/ai/service.js';
import { CredentialStore } from '../api/credentials/store.js';
import { SecretBox } from '../api/crypto/secret-box.js';
import { createNodeServices } from '../api/services.js';
import { createWorkspace } from '../api/workspaces/repository.js';
import type { DomainError } from '../engine/errors.js';
import type { AiService } from '../nodes/ai/service.js';
import { startOpenAiStandIn, type OpenAiStandIn } from './helpers/openai-standin.js';
import { freshDatabase, type TestDatabase } from './setup/db.js';

/** The openai-compatible provider's real client against a local stand-in that speaks OpenAI's shapes. */

let db: TestDatabase;
let standIn: OpenAiStandIn;
let secrets: SecretBox;
let workspaceId: string;
let otherWorkspaceId: string;
let credentialId: string;
let waits: number[];
let ai: AiService;
let keyCounter = 0;

const API_KEY = 'sk-standin-secret-key-123';
const leadSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string' },
    seats: { type: 'integer' },
  },
  required: ['name', 'email'],
};

function service(config: Partial<AiConfig> = {}, allowHosts = `127.0.0.1:${standIn.port}`): AiService {
  const core = createNodeServices({ knex: db.knex, secrets, env: { REVFLOW_SSRF_ALLOW_HOSTS: allowHosts } });
  return createAiService({
    knex: db.knex,
    credentials: core.credentials,
    http: core.http,
    config: { ...aiConfigFromEnv({}), timeoutMs: 2_000, ...config },
    // Retry waits are recorded, not slept: the test reads what the client chose to wait.
    sleep: async (ms) => void waits.push(ms),
  });
}

const options = (extra: Record<string, unknown> = {}) => ({
  provider: 'openai-compatible' as const,
  credentialId,
  idempotencyKey: `run-${(keyCounter += 1)}:node`,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected the call to fail');
}

async function meteredGenerations(): Promise<number> {
  const rows = await db.knex('usage_events').where({ workspace_id: workspaceId, meter: 'ai_generations' });
  return rows.length;
}

beforeAll(async () => {
  [db, standIn] = await Promise.all([freshDatabase(), startOpenAiStandIn()]);
  secrets = new SecretBox(randomBytes(32));
  workspaceId = (await createWorkspace(db.knex, { name: 'AI workspace', plan: 'professional' })).id;
  otherWorkspaceId = (await createWorkspace(db.knex, { name: 'Other workspace' })).id;
  const store = new CredentialStore(db.knex, secrets);
  credentialId = (
    await store.create({
      workspaceId,
      name: 'Stand-in',
      type: 'openaiCompatible',
      data: { baseUrl: standIn.baseUrl, apiKey: API_KEY, model: 'gpt-test' },
      createdBy: null,
    })
  ).id;
});
afterAll(async () => {
  await standIn?.close();
  await db?.drop();
});
beforeEach(() => {
  standIn.reset();
  waits = [];
  ai = service();
});

describe('structured output (extract)', () => {
  it('asks with response_format json_schema, reads JSON out of ``` fences and the usage from the answer', async () => {
    standIn.script({
      content: '```json\n{"name": "Sarah Connor", "email": "sarah@acme.io", "seats": 25}\n```',
      usage: { prompt_tokens: 120, completion_tokens: 30 },
    });
    const before = await meteredGenerations();
    const result = await ai.extract(
      workspaceId,
      { text: 'Sarah from Acme wants 25 seats', schema: leadSchema },
      options(),
    );
    expect(result).toMatchObject({
      data: { name: 'Sarah Connor', email: 'sarah@acme.io', seats: 25 },
      provider: 'openai-compatible',
      model: 'gpt-test-2026-01-01',
      usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const [request] = standIn.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.body.model).toBe('gpt-test');
    // Not every property is required: strict mode would make OpenAI refuse the schema.
    expect(request?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'extraction', schema: leadSchema, strict: false },
    });
    expect(request?.body.messages?.at(-1)).toEqual({
      role: 'user',
      content: 'Sarah from Acme wants 25 seats',
    });
    expect(await meteredGenerations()).toBe(before + 1);
    const call = await db.knex('ai_calls').where({ workspace_id: workspaceId }).orderBy('id', 'desc').first();
    expect(call).toMatchObject({ provider: 'openai-compatible', input_tokens: 120, output_tokens: 30 });
  });

  it('sends strict: true for a schema strict mode accepts', async () => {
    const strict = { ...leadSchema, required: ['name', 'email', 'seats'], additionalProperties: false };
    standIn.script({ content: '{"name": "A", "email": "a@b.co", "seats": 1}' });
    await ai.extract(workspaceId, { text: 'x', schema: strict }, options());
    expect(standIn.requests[0]?.body.response_format?.json_schema?.strict).toBe(true);
  });

  it('repairs nulls that break the schema once, telling the model what was wrong', async () => {
    standIn.script(
      { content: '{"name": null, "email": "sarah@acme.io"}' },
      { content: '{"name": "Sarah", "email": "sarah@acme.io"}' },
    );
    const result = await ai.extract(
      workspaceId,
      { text: 'Sarah, sarah@acme.io', schema: leadSchema },
      options(),
    );
    expect(result.data).toEqual({ name: 'Sarah', email: 'sarah@acme.io' });
    expect(result.usage).toEqual({ inputTokens: 84, outputTokens: 34, totalTokens: 118 });
    expect(standIn.requests).toHaveLength(2);
    const repair = standIn.requests[1]?.body.messages ?? [];
    expect(repair.at(-2)).toEqual({ role: 'assistant', content: '{"name": null, "email": "sarah@acme.io"}' });
    expect(repair.at(-1)?.content).toMatch(/\/name must be string/);
  });

  it('fails with ai_invalid_output showing the raw text when the repair is prose too, and bills nothing', async () => {
    standIn.script(
      { content: 'Sure! The lead is Sarah and her email is sarah@acme.io.' },
      { content: 'Apologies. The lead is Sarah, email sarah@acme.io.' },
    );
    const before = await meteredGenerations();
    const error = await failure(ai.extract(workspaceId, { text: 'Sarah', schema: leadSchema }, options()));
    expect(error.code).toBe('ai_invalid_output');
    expect(error.message).toContain('the answer is not JSON');
    expect(error.message).toContain('Raw answer: Apologies. The lead is Sarah, email sarah@acme.io.');
    expect(await meteredGenerations()).toBe(before);
  });

  it('accepts JSON with prose around it, and approximates usage when the answer has none', async () => {
    standIn.script({
      content: 'Here you go: {"name": "Sarah", "email": "s@a.io"} Hope it helps',
      omitUsage: true,
    });
    const result = await ai.extract(workspaceId, { text: 'Sarah s@a.io', schema: leadSchema }, options());
    expect(result.data).toEqual({ name: 'Sarah', email: 's@a.io' });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('asks again without response_format when an older server does not know json_schema', async () => {
    standIn.script(
      {
        status: 400,
        body: { error: { message: "Unrecognized request argument: response_format.type 'json_schema'" } },
      },
      { content: '{"name": "Sarah", "email": "s@a.io"}' },
    );
    const result = await ai.extract(workspaceId, { text: 'Sarah s@a.io', schema: leadSchema }, options());
    expect(result.data).toEqual({ name: 'Sarah', email: 's@a.io' });
    expect(standIn.requests[0]?.body.response_format).toBeDefined();
    expect(standIn.requests[1]?.body.response_format).toBeUndefined();
    expect(standIn.requests[1]?.body.messages?.[0]?.content).toContain('JSON Schema:');
  });

  it('refuses a schema that is not an object schema before calling anyone', async () => {
    const error = await failure(
      ai.extract(workspaceId, { text: 'x', schema: { type: 'string' } }, options()),
    );
    expect(error).toMatchObject({ code: 'invalid', field: 'schema' });
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('retries, timeouts and errors', () => {
  it('honours Retry-After on 429, then succeeds', async () => {
    standIn.script(
      { status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'Rate limit reached' } } },
      { content: 'Hello Sarah' },
    );
    const result = await ai.generate(workspaceId, { prompt: 'Say hi', system: 'Be brief' }, options());
    expect(result.text).toBe('Hello Sarah');
    expect(waits).toEqual([2000]);
    expect(standIn.requests[1]?.body.messages).toEqual([
      { role: 'system', content: 'Be brief' },
      { role: 'user', content: 'Say hi' },
    ]);
  });

  it('backs off exponentially on 500s and gives up after the retries with the endpoint’s message', async () => {
    standIn.script({ status: 500 }, { status: 503 }, { content: 'ok' });
    expect((await ai.generate(workspaceId, { prompt: 'p' }, options())).text).toBe('ok');
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]! * 0.99);

    standIn.reset();
    standIn.script(
      { status: 500, body: { error: { message: 'The server had an error' } } },
      { status: 500, body: { error: { message: 'The server had an error' } } },
      { status: 500, body: { error: { message: 'The server had an error' } } },
      { status: 500, body: { error: { message: 'The server had an error' } } },
    );
    const error = await failure(ai.generate(workspaceId, { prompt: 'p' }, options()));
    expect(error.code).toBe('ai_unavailable');
    expect(error.message).toMatch(/failed \(500\) after 4 tries: The server had an error/);
  });

  it('fails at once when Retry-After asks for longer than the step should wait', async () => {
    standIn.script({ status: 429, headers: { 'retry-after': '3600' } });
    const error = await failure(ai.generate(workspaceId, { prompt: 'p' }, options()));
    expect(error).toMatchObject({ kind: 'rate_limited', code: 'ai_rate_limited' });
    expect(error.message).toContain('retry after 3600 s');
    expect(waits).toEqual([]);
  });

  it('times out a slow answer with a clear error', async () => {
    ai = service({ timeoutMs: 300 });
    standIn.script({ delayMs: 1_500, then: { content: 'too late' } });
    const error = await failure(ai.generate(workspaceId, { prompt: 'p' }, options()));
    expect(error.code).toBe('ai_timeout');
    expect(error.message).toMatch(/did not answer within 300 ms/);
  });

  it('names the credential when the key is refused, and a model refusal as such', async () => {
    standIn.script({ status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    const auth = await failure(ai.generate(workspaceId, { prompt: 'p' }, options()));
    expect(auth).toMatchObject({ code: 'ai_auth', field: 'credentialId' });
    expect(auth.message).toContain('Incorrect API key provided');
    standIn.script({ refusal: 'I cannot help with that.' });
    expect((await failure(ai.generate(workspaceId, { prompt: 'p' }, options()))).code).toBe('ai_refused');
  });
});

describe('embeddings, summaries and classification through the endpoint', () => {
  it('embeds through /embeddings with the usage reported', async () => {
    const result = await ai.embed(
      workspaceId,
      { texts: ['alpha', 'beta gamma'] },
      options({ model: 'text-embedding-3-small' }),
    );
    expect(standIn.requests[0]).toMatchObject({
      path: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: ['alpha', 'beta gamma'] },
    });
    expect(result.vectors).toEqual([
      [5, 0, 0.5],
      [10, 1, 0.5],
    ]);
    expect(result.usage).toEqual({ inputTokens: 6, outputTokens: 0, totalTokens: 6 });
  });

  it('summarises and classifies with strict schemas', async () => {
    standIn.script({ content: '{"summary": "They want 25 seats.", "keyPoints": ["25 seats", "March"]}' });
    const summary = await ai.summarize(workspaceId, { text: 'long text' }, options());
    expect(summary).toMatchObject({ summary: 'They want 25 seats.', keyPoints: ['25 seats', 'March'] });
    expect(standIn.requests[0]?.body.response_format?.json_schema?.strict).toBe(true);
    standIn.script({ content: '{"labels": ["pricing"], "scores": {"pricing": 0.9, "support": 0.1}}' });
    const classified = await ai.classify(
      workspaceId,
      { text: 'How much is it?', categories: [{ name: 'pricing' }, { name: 'support' }], multiLabel: false },
      options(),
    );
    expect(classified).toMatchObject({ labels: ['pricing'], scores: { pricing: 0.9, support: 0.1 } });
  });
});

describe('attacks', () => {
  it('does not reach 127.0.0.1 or the cloud metadata address without the allow-list', async () => {
    const store = new CredentialStore(db.knex, secrets);
    for (const baseUrl of [standIn.baseUrl, 'http://169.254.169.254/latest/v1']) {
      const credential = await store.create({
        workspaceId,
        name: `Internal ${baseUrl}`,
        type: 'openaiCompatible',
        data: { baseUrl, model: 'm' },
        createdBy: null,
      });
      const guarded = service({}, '');
      const error = await failure(
        guarded.generate(workspaceId, { prompt: 'p' }, options({ credentialId: credential.id })),
      );
      expect(error).toMatchObject({ code: 'ssrf_blocked', field: 'credentialId' });
      expect(error.message).toMatch(/outbound hosts/);
    }
    expect(standIn.requests).toHaveLength(0);
  });

  it('keeps a credential bound to other hosts away from its own base URL', async () => {
    const store = new CredentialStore(db.knex, secrets);
    const bound = await store.create({
      workspaceId,
      name: 'Bound elsewhere',
      type: 'openaiCompatible',
      data: { baseUrl: standIn.baseUrl, apiKey: 'sk-bound-0003', model: 'm' },
      createdBy: null,
      allowedHosts: ['api.openai.com'],
    });
    const error = await failure(
      ai.generate(workspaceId, { prompt: 'p' }, options({ credentialId: bound.id })),
    );
    expect(error).toMatchObject({ code: 'credential_host', field: 'credentialId' });
    expect(standIn.requests).toHaveLength(0);
  });

  it('refuses schema patterns that backtrack exponentially, and category names that are object internals', async () => {
    const evil = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };
    const error = await failure(
      ai.extract(workspaceId, { text: 'a'.repeat(40) + 'b', schema: evil }, options()),
    );
    expect(error).toMatchObject({ code: 'invalid', field: 'schema' });
    expect(error.message).toMatch(/nests quantifiers/);
    const proto = await failure(
      ai.classify(
        workspaceId,
        { text: 'x', categories: [{ name: '__proto__' }], multiLabel: false },
        options(),
      ),
    );
    expect(proto).toMatchObject({ field: 'categories.0.name' });
    expect(standIn.requests).toHaveLength(0);
  });

  it("never opens another workspace's credential", async () => {
    const error = await failure(ai.generate(otherWorkspaceId, { prompt: 'p' }, options()));
    expect(error).toMatchObject({ code: 'credential_not_found', field: 'credentialId' });
    expect(standIn.requests).toHaveLength(0);
  });

  it('sends clean text: no NUL, no lone surrogates; refuses huge input before anything is sent', async () => {
    await ai.generate(workspaceId, { prompt: 'Hi\u0000 there \uD83D!' }, options());
    expect(standIn.requests[0]?.body.messages?.[0]?.content).toBe('Hi there \uFFFD!');
    standIn.reset();
    const huge = await failure(ai.generate(workspaceId, { prompt: 'x'.repeat(100_001) }, options()));
    expect(huge).toMatchObject({ kind: 'too_large', code: 'ai_input_too_large', field: 'prompt' });
    expect(standIn.requests).toHaveLength(0);
  });
});
