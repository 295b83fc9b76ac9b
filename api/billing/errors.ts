import { DomainError, invalidInput } from '../../engine/errors.js';
import type { MeterId, PlanId } from './plans.js';

/**
 * Billing's domain errors (DESIGN §1): thrown by accounts, usage, seats and the billing
 * providers; `api/http/problem.ts` turns them into problem+json and the engine into failed steps.
 */

/** Over a hard limit: the action is refused (402). The message names the limit and the plan. */
export class QuotaExceeded extends DomainError {
  constructor(
    message: string,
    readonly meter: MeterId,
    readonly planId: PlanId,
    readonly limit: number,
    readonly used: number,
    readonly upgradeTo: PlanId | undefined,
  ) {
    super('quota', 'quota_exceeded', message, undefined, {
      plan: planId,
      meter,
      limit,
      used,
      ...(upgradeTo ? { upgradeTo } : {}),
    });
    this.name = 'QuotaExceeded';
  }
}

export type UsageField = 'occurredAt' | 'meter' | 'quantity' | 'idempotencyKey';

/** A usage event with a bad field (too late, from the future, an unknown meter): refused, not counted. */
export class UsageRejected extends DomainError {
  declare readonly field: UsageField;
  constructor(message: string, field: UsageField) {
    super('invalid', 'usage_rejected', message, field);
    this.name = 'UsageRejected';
  }
}

/** A bad value of a billing change (plan, seats, status): 400 naming the field. */
export const billingInputError = (field: string, message: string): DomainError =>
  invalidInput(field, message, 'validation');

/** Billing runs without Stripe: there is no checkout, portal or payment (409). */
export const localModeError = (): DomainError =>
  new DomainError(
    'conflict',
    'local_mode',
    'billing runs in local mode: there is no Stripe checkout, portal or payment',
    undefined,
    { reason: 'local_mode' },
  );

/** Stripe refused or failed; the Stripe routes answer it as 502 (a bad gateway), nodes as code `stripe`. */
export const STRIPE_FAILURE = 'stripe';
