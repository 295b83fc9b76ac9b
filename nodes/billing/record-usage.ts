import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { required } from '../required.js';

/** The meters of the plan catalogue (api/billing/plans.ts; a test checks they agree). */
export const billingMeters = ['emails', 'leads', 'campaigns', 'workflow_runs', 'ai_generations'] as const;

/** Billing errors carry a code and, for bad input, the field: turn them into step failures. */
export function billingFailure(error: unknown): unknown {
  const err = error as Error & { code?: unknown; field?: unknown };
  if (err.code === 'usage_rejected') {
    return new StepFailure(
      err.message,
      'config',
      typeof err.field === 'string' ? `config.${err.field}` : undefined,
    );
  }
  if (err.code === 'quota_exceeded') return new StepFailure(err.message, 'quota_exceeded', 'config.quantity');
  return error;
}

export const recordUsageNode = defineNode({
  type: 'billing.recordUsage',
  family: 'billing',
  title: 'Record usage',
  description: "Meters usage against the workspace's plan: once per idempotency key.",
  docs:
    'Counts `quantity` of a meter in the current billing period (or, for a late event within the grace period, ' +
    "the period of `occurredAt`). The step's own key is used unless you give one, so a re-run after a crash is " +
    'not counted twice; pass a business key (an order id) to deduplicate across runs. `unique` meters (leads) ' +
    'count distinct `subject`s. With `enforce`, usage past a hard limit fails the step with a message naming ' +
    'the limit and the plan. Workflow runs are metered by themselves.',
  icon: 'gauge',
  sideEffects: true,
  config: z.object({
    meter: z.enum(billingMeters).exclude(['workflow_runs']).describe('What is used'),
    quantity: z.number().int().min(0).max(1_000_000_000).default(1),
    idempotencyKey: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .describe("Default: this step's key (run and node); a repeat is not counted twice"),
    subject: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('For unique meters: what is counted (a lead’s email)'),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe('When it happened; default: now'),
    enforce: z.boolean().default(false).describe('Fail the step instead of recording past a hard limit'),
  }),
  run: async (ctx, input) => {
    const billing = required(ctx.services.billing, 'billing');
    const config = ctx.config;
    try {
      const { counted, quota } = await billing.recordUsage(ctx.run.workspaceId, {
        meter: config.meter,
        quantity: config.quantity,
        idempotencyKey: config.idempotencyKey ?? `step:${ctx.idempotencyKey}`,
        enforce: config.enforce,
        ...(config.subject !== undefined && { subject: config.subject }),
        ...(config.occurredAt !== undefined && { occurredAt: config.occurredAt }),
      });
      if (!counted) ctx.log.info('This usage was recorded before under the same key; not counted again');
      return { counted, quota: quota as unknown as Json, input };
    } catch (error) {
      throw billingFailure(error);
    }
  },
});
