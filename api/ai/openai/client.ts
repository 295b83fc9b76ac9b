import { DomainError } from '../../../engine/errors.js';
import { outboundCode, type HttpService, type OutboundResponse } from '../../../nodes/services.js';

/**
 * The HTTP side of an OpenAI-compatible endpoint: JSON POSTs through the workspace's
 * SSRF-guarded client, retried on 429 and 5xx (and dropped connections) with exponential
 * backoff and jitter, honouring `Retry-After` (seconds or a date) and OpenAI's `retry-after-ms`.
 */

export interface Endpoint {
  baseUrl: string;
  apiKey: string | undefined;
}

export interface ClientOptions {
  http: HttpService;
  workspaceId: string;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  signal?: AbortSignal;
  /** Tests: a clock that does not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long the endpoint asks us to wait, in ms, if it says. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** The endpoint's own error message (`{ error: { message } }`), or the start of its body. */
function messageOf(response: OutboundResponse): string {
  const text = response.body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : undefined;
    if (message) return message.slice(0, 500);
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || `HTTP ${response.status}`;
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export async function postJson(
  endpoint: Endpoint,
  path: string,
  body: unknown,
  options: ClientOptions,
): Promise<unknown> {
  const url = joinUrl(endpoint.baseUrl, path);
  const host = URL.canParse(url) ? new URL(url).host : endpoint.baseUrl;
  const wait = options.sleep ?? sleep;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  const payload = Buffer.from(JSON.stringify(body));
  for (let attempt = 0; ; attempt += 1) {
    const retriesLeft = attempt < options.maxRetries;
    let response: OutboundResponse;
    try {
      response = await options.http.request(options.workspaceId, {
        method: 'POST',
        url,
        headers,
        body: payload,
        timeoutMs: options.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        followRedirects: false,
        sensitiveHeaders: ['authorization'],
        ...(options.signal && { signal: options.signal }),
      });
    } catch (error) {
      const code = outboundCode(error);
      const message = (error as Error).message;
      if (code === 'network' && retriesLeft) {
        await wait(backoffMs(attempt), options.signal);
        continue;
      }
      if (code === 'timeout')
        throw new DomainError(
          'unavailable',
          'ai_timeout',
          `The AI endpoint ${host} did not answer within ${options.timeoutMs} ms (REVFLOW_AI_TIMEOUT_MS)`,
        );
      if (code === 'ssrf_blocked')
        throw new DomainError(
          'forbidden',
          'ssrf_blocked',
          `${message}. The AI endpoint ${host} is on a private or reserved address: an admin must add it to the workspace's outbound hosts (or REVFLOW_SSRF_ALLOW_HOSTS) first`,
          'credentialId',
        );
      if (code === 'invalid_url')
        throw new DomainError(
          'invalid',
          'ai_bad_endpoint',
          `The AI base URL is not valid: ${message}`,
          'credentialId',
        );
      throw new DomainError(
        'unavailable',
        'ai_unreachable',
        `The AI endpoint ${host} cannot be reached: ${message}`,
      );
    }
    const { status } = response;
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(response.body.toString('utf8')) as unknown;
      } catch {
        throw new DomainError(
          'unavailable',
          'ai_bad_response',
          `The AI endpoint ${host} answered ${status} with something that is not JSON: ${response.body.toString('utf8').slice(0, 200)}`,
        );
      }
    }
    if (status === 429 || status >= 500) {
      const asked = retryAfterMs(response.headers);
      if (retriesLeft && (asked === undefined || asked <= options.maxRetryAfterMs)) {
        await wait(asked ?? backoffMs(attempt), options.signal);
        continue;
      }
      const tries = attempt + 1;
      const later = asked !== undefined ? `; it asks to retry after ${Math.ceil(asked / 1000)} s` : '';
      throw status === 429
        ? new DomainError(
            'rate_limited',
            'ai_rate_limited',
            `The AI endpoint ${host} is rate limiting (429) after ${tries} ${tries === 1 ? 'try' : 'tries'}${later}: ${messageOf(response)}`,
            undefined,
            asked !== undefined ? { retryAfterMs: asked } : {},
          )
        : new DomainError(
            'unavailable',
            'ai_unavailable',
            `The AI endpoint ${host} failed (${status}) after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${messageOf(response)}`,
          );
    }
    if (status === 401 || status === 403)
      throw new DomainError(
        'forbidden',
        'ai_auth',
        `The AI endpoint ${host} refused the API key (${status}): ${messageOf(response)}`,
        'credentialId',
      );
    throw new DomainError(
      'invalid',
      'ai_request_rejected',
      `The AI endpoint ${host} refused the request (${status}): ${messageOf(response)}`,
    );
  }
}
