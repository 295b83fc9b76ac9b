import { z } from 'zod';
import { sleep } from '../../engine/retry.js';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { credentialRef, outboundCode, redact, required, type OutboundResponse } from '../services.js';
import { resolveHttpAuth } from './auth.js';

const httpUrl = z
  .string()
  .min(1)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'an http:// or https:// URL');

const body = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json'), value: z.unknown() }),
  z.object({
    type: z.literal('form'),
    value: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  }),
  z.object({
    type: z.literal('raw'),
    value: z.string(),
    contentType: z.string().default('text/plain; charset=utf-8'),
  }),
]);

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Retry-After is honoured up to this long per wait; longer asks fail the step instead. */
const MAX_RETRY_AFTER_MS = 60_000;

export const httpRequestNode = defineNode({
  type: 'http.request',
  family: 'action',
  title: 'HTTP request',
  description: 'Calls an HTTP API and outputs { status, headers, body }.',
  docs:
    'Authentication comes from a workspace credential (API key, bearer, basic, header); its values never ' +
    'appear in the step record. POST, PUT, PATCH and DELETE carry an `Idempotency-Key` header that stays the ' +
    'same when the step is retried or resumed after a crash. 429 and 5xx answers are retried (honouring ' +
    'Retry-After up to 60 s). Requests to private, loopback, link-local and cloud-metadata addresses are refused ' +
    'unless an admin allow-lists the host for the workspace.',
  icon: 'globe',
  sideEffects: true,
  outbound: 'http',
  config: z.object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
    url: httpUrl,
    headers: z.record(z.string(), z.string()).default({}),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    body: body.optional(),
    credentialId: credentialRef(
      ['apiKey', 'bearer', 'basicAuth', 'header'],
      'A credential of the workspace: API key, bearer, basic auth or header',
    ).optional(),
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    retries: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(2)
      .describe('Extra attempts on 429, 5xx and network errors'),
    responseFormat: z.enum(['auto', 'json', 'text']).default('auto'),
    maxResponseBytes: z
      .number()
      .int()
      .min(1)
      .max(20 * 1024 * 1024)
      .default(2 * 1024 * 1024),
    followRedirects: z.boolean().default(true),
    failOnStatus: z.boolean().default(true).describe('Fail the step on a 4xx or 5xx answer (after retries)'),
  }),
  run: async (ctx) => {
    const config = ctx.config;
    const http = required(ctx.services.http, 'outbound HTTP');
    // Only once the URL's host is one the credential may be sent to (issue 11).
    const auth = await resolveHttpAuth(ctx, config.credentialId, config.url);

    const url = new URL(config.url);
    for (const [name, value] of Object.entries(config.query)) url.searchParams.append(name, String(value));
    // Header names are case-insensitive: keep one spelling so defaults never duplicate the user's.
    const headers: Record<string, string> = {
      'user-agent': 'Revflow',
      accept: 'application/json, text/*;q=0.9, */*;q=0.5',
    };
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
    let payload: Buffer | undefined;
    if (config.body?.type === 'json') {
      payload = Buffer.from(JSON.stringify(config.body.value ?? null));
      headers['content-type'] ??= 'application/json';
    } else if (config.body?.type === 'form') {
      payload = Buffer.from(
        new URLSearchParams(Object.entries(config.body.value).map(([k, v]) => [k, String(v)])).toString(),
      );
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (config.body?.type === 'raw') {
      payload = Buffer.from(config.body.value);
      headers['content-type'] ??= config.body.contentType;
    }
    // The other side can deduplicate a retried or crash-resumed unsafe request by this key.
    if (unsafeMethods.has(config.method)) headers['idempotency-key'] = ctx.idempotencyKey;
    for (const [name, value] of Object.entries(auth.headers)) headers[name.toLowerCase()] = value;

    let response: OutboundResponse | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt > config.retries;
      try {
        response = await http.request(ctx.run.workspaceId, {
          method: config.method,
          url: url.toString(),
          headers,
          ...(payload && { body: payload }),
          timeoutMs: config.timeoutMs,
          maxResponseBytes: config.maxResponseBytes,
          followRedirects: config.followRedirects,
          sensitiveHeaders: auth.sensitiveHeaders,
          signal: ctx.signal,
        });
      } catch (error) {
        const code = outboundCode(error) ?? 'network';
        const message = redact((error as Error).message, auth.secrets) as string;
        // A refused address or an oversized answer does not change by trying again.
        if (
          last ||
          code === 'ssrf_blocked' ||
          code === 'invalid_url' ||
          code === 'response_too_large' ||
          ctx.signal.aborted
        ) {
          throw new StepFailure(
            message,
            code,
            code === 'ssrf_blocked' || code === 'invalid_url' ? 'config.url' : undefined,
          );
        }
        ctx.log.warn(`Attempt ${attempt} failed (${code}); retrying`);
        await sleep(backoffMs(attempt), ctx.signal);
        continue;
      }
      if (last || (response.status !== 429 && response.status < 500)) break;
      const waitMs = retryAfterMs(response.headers['retry-after']) ?? backoffMs(attempt);
      if (waitMs > MAX_RETRY_AFTER_MS) break;
      ctx.log.warn(`Attempt ${attempt} answered ${response.status}; retrying in ${waitMs} ms`);
      await sleep(waitMs, ctx.signal);
    }

    const output: Json = redact(
      {
        status: response.status,
        headers: response.headers,
        body: decodeBody(response, config.responseFormat),
        url: response.url,
      },
      auth.secrets,
    );
    ctx.log.info(`${config.method} ${url.origin}${url.pathname} → ${response.status}`);
    if (config.failOnStatus && response.status >= 400) {
      const excerpt = redact(response.body.subarray(0, 300).toString('utf8'), auth.secrets) as string;
      throw new StepFailure(
        `${config.method} ${url.origin}${url.pathname} answered ${response.status}: ${excerpt}`,
        'http_status',
      );
    }
    return output;
  },
});

function backoffMs(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 5_000);
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function decodeBody(response: OutboundResponse, format: 'auto' | 'json' | 'text'): Json {
  const text = response.body.toString('utf8');
  const isJson =
    format === 'json' || (format === 'auto' && /[/+]json\b/i.test(response.headers['content-type'] ?? ''));
  if (!isJson) return text;
  if (text === '') return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    if (format === 'json')
      throw new StepFailure(
        `The response is not valid JSON: ${text.slice(0, 200)}`,
        'invalid_response',
        'config.responseFormat',
      );
    return text;
  }
}
