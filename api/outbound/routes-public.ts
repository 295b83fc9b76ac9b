import express from 'express';
import { z } from 'zod';
import { assertCleanInput } from '../http/input-guard.js';
import { ProblemError } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { SIGNATURE_HEADER, verifySignature } from '../hooks/signature.js';
import type { OutboundApi } from './context.js';
import { inboundEventSchema } from './inbound.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);

/** "an***@example.com": enough for a person to recognise, not a list of addresses. */
function masked(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 2)}***@${domain}`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1d2330;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e9ef;background:#12151c}}button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:0;background:#3b5bdb;color:#fff;cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const tokenParams = z.object({ token: z.string().min(1).max(300) });
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The signed inbound webhook and the one-click unsubscribe endpoint: public, each checked by its signature. */
export function publicRoutes(outbound: OutboundApi): AnyRoute[] {
  const { service, keys, inbound } = outbound;
  const leadOfToken = async (token: string) => {
    const verified = await keys.verifyUnsubscribe(token);
    if (!verified) return undefined;
    const lead = await service.leads.byId(verified.workspaceId, verified.leadId);
    return lead ? { ...verified, lead } : undefined;
  };
  const html = (res: express.Response, status: number, title: string, body: string) => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(page(title, body));
    return undefined;
  };
  return [
    defineRoute({
      method: 'post',
      path: '/hooks/outbound',
      summary: 'Inbound outbound events (replies, bounces, unsubscribes, meetings), signed',
      description:
        'Query `workspace`: the workspace id. Header `Revflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, ' +
        '"t.body")>` with the workspace\'s outbound secret (Outbound → Settings). The body is one event as ' +
        'POST …/outbound/events takes it. An unsigned, forged or stale request is refused with 401.',
      tags: ['outbound'],
      auth: 'public',
      query: z.object({ workspace: z.string().max(100) }),
      middleware: [express.raw({ type: () => true, limit: '1mb' })],
      responses: {
        200: { description: 'What the event matched and did' },
        ...problemResponses(400, 401, 413),
      },
      handler: async ({ req, query }) => {
        const refuse = (reason: string) => new ProblemError(401, 'Bad signature', reason, { reason });
        if (!uuid.test(query.workspace)) throw refuse('Unknown workspace or bad signature');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const exists = await service.leads.hasSettings(query.workspace);
        if (!exists) throw refuse('Unknown workspace or bad signature');
        const check = verifySignature(req.header(SIGNATURE_HEADER), await keys.secret(query.workspace), raw);
        if (!check.ok) throw refuse(check.reason);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ProblemError(400, 'Bad request', 'The body must be JSON', {
            invalidParams: [{ name: 'body', reason: 'not JSON' }],
          });
        }
        assertCleanInput(parsed, 'body');
        const event = inboundEventSchema.safeParse(parsed);
        if (!event.success) {
          const issue = event.error.issues[0];
          throw new ProblemError(400, 'Bad request', 'The event is not valid', {
            invalidParams: [
              { name: `body.${issue?.path.join('.') ?? ''}`, reason: issue?.message ?? 'invalid' },
            ],
          });
        }
        return { status: 200, body: await inbound.process(query.workspace, event.data) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/outbound/unsubscribe/:token',
      summary: 'The unsubscribe confirmation page of a signed per-lead link (nothing changes on GET)',
      tags: ['outbound'],
      auth: 'public',
      params: tokenParams,
      responses: {
        200: { description: 'HTML', schema: z.string(), contentType: 'text/html' },
        404: { description: 'Not a valid link' },
      },
      handler: async ({ params, res }) => {
        const found = await leadOfToken(params.token);
        if (!found)
          return html(
            res,
            404,
            'This link is not valid',
            '<p>The unsubscribe link is broken or has expired.</p>',
          );
        if (found.lead.status === 'unsubscribed')
          return html(
            res,
            200,
            'You are unsubscribed',
            `<p>${escapeHtml(masked(found.lead.email))} gets no more emails from us.</p>`,
          );
        return html(
          res,
          200,
          'Unsubscribe?',
          `<p>Stop all emails to ${escapeHtml(masked(found.lead.email))}?</p>` +
            `<form method="post" action="/api/v1/outbound/unsubscribe/${encodeURIComponent(params.token)}"><button type="submit">Unsubscribe</button></form>`,
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/outbound/unsubscribe/:token',
      summary: 'One-click unsubscribe (RFC 8058 List-Unsubscribe-Post), honoured at once',
      tags: ['outbound'],
      auth: 'public',
      params: tokenParams,
      responses: {
        200: { description: 'HTML', schema: z.string(), contentType: 'text/html' },
        404: { description: 'Not a valid link' },
      },
      handler: async ({ params, res }) => {
        const found = await leadOfToken(params.token);
        if (!found)
          return html(
            res,
            404,
            'This link is not valid',
            '<p>The unsubscribe link is broken or has expired.</p>',
          );
        await inbound.process(found.workspaceId, {
          type: 'unsubscribe',
          id: `link:${found.lead.id}`,
          from: found.lead.email,
        });
        return html(
          res,
          200,
          'You are unsubscribed',
          `<p>${escapeHtml(masked(found.lead.email))} gets no more emails from us.</p>`,
        );
      },
    }),
  ];
}
