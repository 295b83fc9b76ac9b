import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { OutboundRequest, OutboundResponse } from '../../nodes/services.js';
import { checkTarget, OutboundError, type AllowList, type CheckedTarget, type Resolver } from './ssrf.js';

const MAX_REDIRECTS = 5;

/** A `lookup` that answers only with the address the guard checked: no second DNS query. */
function pinnedLookup(target: CheckedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

function flatHeaders(message: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One request to one checked address; no redirects. */
function exchange(
  url: URL,
  target: CheckedTarget,
  request: OutboundRequest,
  deadline: number,
): Promise<Exchange> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Exchange>((resolve, reject) => {
    const remaining = Math.max(1, deadline - Date.now());
    const req = transport.request(
      url,
      {
        method: request.method,
        headers: request.headers,
        lookup: pinnedLookup(target),
        // No keep-alive pool: a pooled socket could outlive the check it was made under.
        agent: false,
        signal: request.signal,
        timeout: remaining,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxResponseBytes) {
            req.destroy();
            reject(
              new OutboundError(
                `The response is larger than ${request.maxResponseBytes} bytes`,
                'response_too_large',
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res), body: Buffer.concat(chunks) }),
        );
        res.on('error', (error) => reject(new OutboundError(error.message, 'network')));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new OutboundError(`No complete response within ${request.timeoutMs} ms`, 'timeout'));
    }, remaining);
    req.on('timeout', () =>
      req.destroy(new OutboundError(`No complete response within ${request.timeoutMs} ms`, 'timeout')),
    );
    req.on('error', (error) =>
      reject(error instanceof OutboundError ? error : new OutboundError(error.message, 'network')),
    );
    req.on('close', () => clearTimeout(timer));
    if (request.body) req.end(request.body);
    else req.end();
  });
}

/** Headers that must not follow a redirect to another origin (they carry credentials). */
const credentialHeaders = new Set(['authorization', 'cookie', 'proxy-authorization']);

export interface GuardedClientOptions {
  resolve?: Resolver;
}

/**
 * Outbound HTTP through the SSRF guard: the target of the request and of EVERY redirect is
 * resolved and checked, then connected to at exactly the checked address. Redirects are
 * followed by hand (at most 5); credentials are dropped when a redirect changes origin,
 * and 303 (and 301/302 after POST) turn into a GET without a body, as browsers do.
 */
export async function guardedRequest(
  request: OutboundRequest,
  allow: AllowList,
  options: GuardedClientOptions = {},
): Promise<OutboundResponse> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new OutboundError(`Not a valid URL: ${request.url}`, 'invalid_url');
  }
  const deadline = Date.now() + request.timeoutMs;
  let current: OutboundRequest = request;
  for (let redirects = 0; ; redirects += 1) {
    const target = await checkTarget(url, allow, options.resolve);
    const response = await exchange(url, target, current, deadline);
    const location = response.headers.location;
    if (
      !request.followRedirects ||
      response.status < 300 ||
      response.status >= 400 ||
      response.status === 304 ||
      !location
    ) {
      return { ...response, url: url.toString(), redirects };
    }
    if (redirects >= MAX_REDIRECTS)
      throw new OutboundError(`More than ${MAX_REDIRECTS} redirects`, 'too_many_redirects');
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new OutboundError(`The redirect target is not a valid URL: ${location}`, 'invalid_url');
    }
    const headers = { ...current.headers };
    if (next.origin !== url.origin) {
      const sensitive = new Set([
        ...credentialHeaders,
        ...(request.sensitiveHeaders ?? []).map((name) => name.toLowerCase()),
      ]);
      for (const name of Object.keys(headers)) if (sensitive.has(name.toLowerCase())) delete headers[name];
    }
    const toGet =
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && current.method === 'POST');
    if (toGet) {
      for (const name of Object.keys(headers))
        if (/^content-(type|length)$/i.test(name)) delete headers[name];
      current = { ...current, method: current.method === 'HEAD' ? 'HEAD' : 'GET', headers, body: undefined };
    } else current = { ...current, headers };
    url = next;
  }
}
