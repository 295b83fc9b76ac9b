import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { credentialRef, outboundCode, redact, required } from '../services.js';
import { resolveHttpAuth } from '../http/auth.js';

/** The JSON each chat tool's incoming webhook expects. */
function payloadFor(format: 'slack' | 'teams' | 'generic', title: string | undefined, text: string): Json {
  switch (format) {
    case 'slack':
      return title
        ? {
            text: `${title}\n${text}`,
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
              { type: 'section', text: { type: 'mrkdwn', text } },
            ],
          }
        : { text };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: title ?? text.slice(0, 80),
        ...(title && { title }),
        text,
      };
    case 'generic':
      return title ? { title, text } : { text };
  }
}

export const notifyChatNode = defineNode({
  type: 'notify.chat',
  family: 'action',
  title: 'Chat message',
  description: 'Posts a message to a Slack- or Teams-style incoming webhook.',
  docs:
    'Goes through the same guarded HTTP client as the HTTP request node (SSRF guard, allow-list). ' +
    'Outputs { status, input }; a non-2xx answer fails the step.',
  icon: 'message-square',
  sideEffects: true,
  outbound: 'chat',
  config: z.object({
    url: z
      .string()
      .min(1)
      .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'an http:// or https:// URL')
      .describe('Incoming webhook URL'),
    format: z.enum(['slack', 'teams', 'generic']).default('slack'),
    title: z.string().max(500).optional(),
    text: z.string().min(1).max(40_000),
    credentialId: credentialRef(
      ['apiKey', 'bearer', 'basicAuth', 'header'],
      'Optional credential for webhooks that need a header or token',
    ).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  }),
  run: async (ctx, input) => {
    const { url, format, title, text, credentialId, timeoutMs } = ctx.config;
    const auth = await resolveHttpAuth(ctx, credentialId);
    let status: number;
    try {
      const response = await required(ctx.services.http, 'outbound HTTP').request(ctx.run.workspaceId, {
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': ctx.idempotencyKey,
          ...auth.headers,
        },
        body: Buffer.from(JSON.stringify(payloadFor(format, title, text))),
        timeoutMs,
        maxResponseBytes: 64 * 1024,
        followRedirects: false,
        sensitiveHeaders: auth.sensitiveHeaders,
        signal: ctx.signal,
      });
      status = response.status;
      if (status < 200 || status >= 300) {
        const excerpt = redact(response.body.subarray(0, 200).toString('utf8'), auth.secrets) as string;
        throw new StepFailure(`The chat webhook answered ${status}: ${excerpt}`, 'http_status');
      }
    } catch (error) {
      if (error instanceof StepFailure) throw error;
      const code = outboundCode(error) ?? 'network';
      throw new StepFailure(
        redact((error as Error).message, auth.secrets) as string,
        code,
        code === 'ssrf_blocked' ? 'config.url' : undefined,
      );
    }
    return { status, input };
  },
});
