import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

/** `invoice.paid`, `invoice.*`, `customer.subscription.*`, `*`. */
export const STRIPE_EVENT_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

export const stripeEventPatternSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(STRIPE_EVENT_PATTERN, 'a Stripe event type ("invoice.paid"), a prefix with .* ("invoice.*") or *');

/** The Stripe trigger's config; api/billing/stripe parses stored documents with it. */
export const stripeTriggerConfigSchema = z.object({
  events: z
    .array(stripeEventPatternSchema)
    .min(1, 'at least one event type')
    .max(50)
    .describe('Event types that start the run; "invoice.*" matches every invoice event, "*" every event'),
});

export type StripeTriggerConfig = z.infer<typeof stripeTriggerConfigSchema>;

/** Whether a Stripe event type matches one of the patterns. */
export function stripeEventMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
    return pattern === type;
  });
}

export const stripeTrigger = defineNode({
  type: 'trigger.stripe',
  family: 'trigger',
  title: 'Stripe event',
  description: "Starts the run when a Stripe event about this workspace's billing arrives.",
  docs: [
    'Stripe sends its events to POST /hooks/stripe (verified with the STRIPE_WEBHOOK_SECRET signing secret).',
    "Events about this workspace's customer start the run: a failed payment (`invoice.payment_failed`), a trial " +
      'about to end (`customer.subscription.trial_will_end`), a finished checkout, ...',
    'Filter with event types; `invoice.*` matches every invoice event and `*` every event.',
    'The output is the Stripe event as Stripe sent it: { id, type, created, data: { object }, ... }.',
    'Each Stripe event id starts a run once, however often Stripe delivers it.',
  ].join('\n\n'),
  icon: 'credit-card',
  config: stripeTriggerConfigSchema,
  run: (_ctx, input) => input,
});
