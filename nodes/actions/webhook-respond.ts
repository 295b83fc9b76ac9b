import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

export const webhookRespondNode = defineNode({
  type: 'webhook.respond',
  family: 'action',
  title: 'Respond to webhook',
  description: 'Answers the HTTP request that started the run with a status, headers and a body.',
  docs:
    'Used with a Webhook trigger in `respondNode` mode. The body defaults to the input. The output is the ' +
    'response `{ status, headers, body }`; the caller gets it as soon as this node runs, while the run goes on.',
  icon: 'reply',
  config: z.object({
    status: z.number().int().min(100).max(599).default(200),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional().describe('Default: the input'),
  }),
  run: (ctx, input): WebhookResponse & { [key: string]: Json } => ({
    status: ctx.config.status,
    headers: ctx.config.headers,
    body: (ctx.config.body === undefined ? input : ctx.config.body) as Json,
  }),
});
