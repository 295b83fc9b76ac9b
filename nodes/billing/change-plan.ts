import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { billingChanges, billingStepFailure } from './change-seats.js';
import { changeSourceOf } from './service.js';

/** Plan ids as the catalogue names them (api/billing/plans.ts). */
export const billingPlanIdSchema = z
  .enum(['free', 'starter', 'professional', 'enterprise'])
  .describe('free, starter, professional or enterprise');

export const changePlanNode = defineNode({
  type: 'billing.changePlan',
  family: 'billing',
  title: 'Change plan',
  description: "Moves the workspace's subscription to another plan (Stripe prorates the change).",
  docs: [
    "With Stripe, the subscription moves to the new plan's prices (found by lookup key) and the prorated " +
      'difference is invoiced now; moving to Free cancels the subscription. A workspace without a subscription ' +
      'needs a checkout first (billing.checkoutLink). Without STRIPE_SECRET_KEY the billing account changes locally.',
    'Seats carry over (extra seats where the new plan sells them) unless `seats` is set.',
    "The step's idempotency key goes to Stripe: a step re-run after a crash changes the subscription once.",
    'Put an approval in front of it: it changes what the customer pays.',
  ].join('\n\n'),
  icon: 'arrow-up-circle',
  sideEffects: true,
  // As POST billing/change: owners only (checked at publish and, for the publisher, at run time).
  requiresRole: 'owner',
  config: z.object({
    planId: billingPlanIdSchema,
    seats: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('Seats on the new plan; default: carried over'),
  }),
  run: async (ctx) => {
    const service = billingChanges(ctx.services.billingChanges);
    try {
      const result = await service.changePlan(
        ctx.run.workspaceId,
        { planId: ctx.config.planId, ...(ctx.config.seats !== undefined && { seats: ctx.config.seats }) },
        ctx.idempotencyKey,
        changeSourceOf(ctx),
      );
      ctx.log.info(`Plan changed to ${result.account.planId} (${result.mode} billing)`);
      return result as unknown as Json;
    } catch (error) {
      throw billingStepFailure(error);
    }
  },
});
