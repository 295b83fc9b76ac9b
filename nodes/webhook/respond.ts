import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

/**
 * Headers a webhook answer may not set: it is served from the app's own origin, so these would
 * let a workflow plant cookies (session fixation), lift the sandbox the ingress puts on every
 * answer, open CORS, wipe a visitor's session (Clear-Site-Data) or break HTTP framing.
 */
export const RESERVED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'set-cookie',
  'set-cookie2',
  'content-security-policy',
  'content-security-policy-report-only',
  'x-content-type-options',
  'x-frame-options',
  'clear-site-data',
  'service-worker-allowed',
  'strict-transport-security',
  'permissions-policy',
  'refresh',
  'link',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
  'te',
  'report-to',
  'nel',
]);

const reservedPrefixes = ['access-control-', 'cross-origin-', 'origin-agent-'];

export function isReservedResponseHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_RESPONSE_HEADERS.has(lower) || reservedPrefixes.some((prefix) => lower.startsWith(prefix));
}

/** An RFC 9110 token, as Node's own header check wants it. */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Visible Latin-1 text and tabs: no CR, LF or NUL (response splitting), nothing Node refuses. */
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

const headersSchema = z.record(z.string(), z.string().max(8_192)).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!headerName.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'not a valid header name' });
    } else if (isReservedResponseHeader(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `a webhook answer may not set ${name}: it is served from the app's origin`,
      });
    } else if (!headerValue.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'a header value may not contain CR, LF, NUL or characters beyond Latin-1',
      });
    }
  }
});

export const webhookRespondNode = defineNode({
  type: 'webhook.respond',
  family: 'action',
  title: 'Respond to webhook',
  description: 'Answers the HTTP request that started the run with a status, headers and a body.',
  docs:
    'Used with a Webhook trigger in `respondNode` mode. The body defaults to the input. The output is the ' +
    'response `{ status, headers, body }`; the caller gets it as soon as this node runs, while the run goes on. ' +
    'The answer is JSON unless a `Content-Type` header says otherwise; every answer is served with ' +
    '`X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`, so an HTML answer never runs ' +
    "script in Revflow's origin. Cookies, CSP, CORS and framing headers cannot be set.",
  icon: 'reply',
  config: z.object({
    // 1xx is not a final answer: the caller would wait for one that never comes.
    status: z.number().int().min(200).max(599).default(200),
    headers: headersSchema.default({}),
    body: z.unknown().optional().describe('Default: the input'),
  }),
  run: (ctx, input): WebhookResponse & { [key: string]: Json } => ({
    status: ctx.config.status,
    headers: ctx.config.headers,
    body: (ctx.config.body === undefined ? input : ctx.config.body) as Json,
  }),
});
