import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { billingPlanIdSchema } from './change-plan.js';
import { billingChanges, billingStepFailure } from './change-seats.js';

const httpsUrl = z
  .string()
  .max(2000)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'an http(s) URL');

export const checkoutLinkNode = defineNode({
  type: 'billing.checkoutLink',
  family: 'billing',
  title: 'Checkout link',
  description: 'Creates a Stripe Checkout link for upgrading the workspace to a paid plan.',
  docs: [
    'The output is { url, sessionId }: send the url to the customer (email, chat). Paying there starts the ' +
      'subscription; Stripe then sends checkout.session.completed, which updates the plan.',
    'Needs STRIPE_SECRET_KEY: in local mode there is no checkout and the step fails with code local_mode.',
    "The step's idempotency key goes to Stripe: a step re-run after a crash returns the same session.",
  ].join('\n\n'),
  icon: 'link',
  sideEffects: true,
  // As POST billing/checkout: owners only (checked at publish and, for the publisher, at run time).
  requiresRole: 'owner',
  config: z.object({
    planId: billingPlanIdSchema.refine(
      (plan) => plan !== 'free',
      'a paid plan: starter, professional or enterprise',
    ),
    seats: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe("Seats to buy; default: the plan's included seats"),
    successUrl: httpsUrl
      .optional()
      .describe('Where Stripe sends the customer after paying; default: the Billing page'),
    cancelUrl: httpsUrl
      .optional()
      .describe('Where Stripe sends the customer on cancel; default: the Billing page'),
  }),
  run: async (ctx) => {
    const service = billingChanges(ctx.services.billingChanges);
    try {
      const link = await service.checkoutLink(
        ctx.run.workspaceId,
        {
          planId: ctx.config.planId,
          ...(ctx.config.seats !== undefined && { seats: ctx.config.seats }),
          ...(ctx.config.successUrl !== undefined && { successUrl: ctx.config.successUrl }),
          ...(ctx.config.cancelUrl !== undefined && { cancelUrl: ctx.config.cancelUrl }),
        },
        ctx.idempotencyKey,
      );
      ctx.log.info('Checkout link created', { sessionId: link.sessionId });
      return { url: link.url, sessionId: link.sessionId, planId: ctx.config.planId };
    } catch (error) {
      throw billingStepFailure(error);
    }
  },
});
