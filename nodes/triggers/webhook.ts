import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

export const webhookTrigger = defineNode({
  type: 'trigger.webhook',
  family: 'trigger',
  title: 'Webhook',
  description: 'Starts the run when an HTTP request arrives at /hooks/<workspace>/<path>.',
  docs:
    'The output is { method, path, headers, query, body }. With `signed`, requests must carry ' +
    '`Revflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` made with the secret shown on ' +
    'the workflow; requests older than 5 minutes are refused. Send an `Idempotency-Key` header to make retries safe.',
  icon: 'webhook',
  config: z.object({
    path: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9/_-]*$/, 'use letters, digits, /, _ and -'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    responseMode: z
      .enum(['immediate', 'respondNode'])
      .default('immediate')
      .describe('immediate: answer 202 with the run id; respondNode: answer when a Respond node runs'),
    signed: z
      .boolean()
      .default(false)
      .describe(
        'Require a Revflow-Signature header: HMAC-SHA256 of "timestamp.body" with the webhook secret',
      ),
    responseTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(300_000)
      .default(30_000)
      .describe('With respondNode: how long the caller waits for the Respond node'),
  }),
  run: (_ctx, input) => input,
});
