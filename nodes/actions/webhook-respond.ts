import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    /** Answers the HTTP request that started a run, when the webhook waits for a Respond node. */
    webhookResponder?: { respond(runId: string, response: WebhookResponse): void };
  }
}

export const webhookRespondNode = defineNode({
  type: 'webhook.respond',
  family: 'action',
  title: 'Respond to webhook',
  description: 'Answers the HTTP request that started the run with a status, headers and a body.',
  icon: 'reply',
  config: z.object({
    status: z.number().int().min(100).max(599).default(200),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional().describe('Default: the input'),
  }),
  run: (ctx, input) => {
    const body = (ctx.config.body === undefined ? input : ctx.config.body) as Json;
    ctx.services.webhookResponder?.respond(ctx.run.id, {
      status: ctx.config.status,
      headers: ctx.config.headers,
      body,
    });
    return body;
  },
});
