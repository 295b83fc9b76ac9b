import { z } from 'zod';
import { DomainError, StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { required } from '../required.js';
import { changeSourceOf, type BillingChangeService } from './service.js';

/** The billing change service, or a clear step error naming what the deployment lacks. */
export function billingChanges(service: BillingChangeService | undefined): BillingChangeService {
  return required(service, 'billing');
}

/**
 * A billing service error as a step failure: its code (`config` for a bad value), and the config
 * field at fault when there is one (`seats`, `planId`, ...). Stripe failures are `stripe`
 * (retryable by the node's policy).
 */
export function billingStepFailure(error: unknown, fields: Record<string, string> = {}): StepFailure {
  if (error instanceof StepFailure) return error;
  const err = error as Error & { code?: unknown; field?: unknown };
  const domain = error instanceof DomainError ? error : undefined;
  const code = domain?.kind === 'invalid' ? 'config' : typeof err.code === 'string' ? err.code : 'billing';
  const name = typeof err.field === 'string' ? err.field : domain && firstParam(domain.details);
  const field = name ? (fields[name] ?? `config.${name}`) : undefined;
  return new StepFailure(err.message || String(error), code, field);
}

/** The first field a domain error's details name (a conflict about seats names `seats`). */
function firstParam(details: Record<string, unknown>): string | undefined {
  const params = details.invalidParams;
  if (!Array.isArray(params)) return undefined;
  const first: unknown = params[0];
  return first && typeof first === 'object' && 'name' in first && typeof first.name === 'string'
    ? first.name
    : undefined;
}

export const changeSeatsNode = defineNode({
  type: 'billing.changeSeats',
  family: 'billing',
  title: 'Change seats',
  description: "Sets the number of seats on the workspace's plan (Stripe prorates the change).",
  docs: [
    "With Stripe, the subscription's seat item gets the new quantity and the prorated difference is invoiced now; " +
      'without STRIPE_SECRET_KEY (local mode) the billing account changes and nothing is charged.',
    'Seats cannot go below the members plus pending invitations, nor below the seats the plan includes.',
    "The step's idempotency key goes to Stripe: a step re-run after a crash changes the subscription once.",
    'Put an approval in front of it: it changes what the customer pays.',
  ].join('\n\n'),
  icon: 'users',
  sideEffects: true,
  // As POST billing/change: owners only (checked at publish and, for the publisher, at run time).
  requiresRole: 'owner',
  config: z.object({
    seats: z.number().int().min(1).max(100_000).describe('The seats the workspace should have in total'),
  }),
  run: async (ctx) => {
    const service = billingChanges(ctx.services.billingChanges);
    try {
      const result = await service.changeSeats(
        ctx.run.workspaceId,
        ctx.config.seats,
        ctx.idempotencyKey,
        changeSourceOf(ctx),
      );
      ctx.log.info(`Seats set to ${result.account.seats} (${result.mode} billing)`);
      return result as unknown as Json;
    } catch (error) {
      throw billingStepFailure(error);
    }
  },
});
