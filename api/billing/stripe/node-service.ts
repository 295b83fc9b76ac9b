import type { Knex } from 'knex';
import type { BillingChangeResult, BillingChangeService } from '../../../nodes/services.js';
import { ProblemError } from '../../http/problem.js';
import { BillingActions, type ChangeResult } from './billing.js';
import { createStripeClient } from './client.js';
import { stripeSettingsFromEnv, type StripeEnv } from './config.js';

/** An error a billing node turns into a step failure: a code and the config field at fault. */
export class BillingChangeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BillingChangeError';
  }
}

const CODES: Record<string, string> = {
  'https://revflow.dev/problems/validation': 'config',
  'https://revflow.dev/problems/billing-local-mode': 'local_mode',
  'https://revflow.dev/problems/no-subscription': 'no_subscription',
  'https://revflow.dev/problems/seats-in-use': 'seats_in_use',
  'https://revflow.dev/problems/stripe': 'stripe',
  'https://revflow.dev/problems/stripe-setup': 'stripe_setup',
};

function translate(error: unknown): unknown {
  if (!(error instanceof ProblemError)) return error;
  const type = typeof error.extra.type === 'string' ? error.extra.type : '';
  const field = error.extra.invalidParams?.[0]?.name;
  return new BillingChangeError(error.detail ?? error.title, CODES[type] ?? 'billing', field);
}

function result(change: ChangeResult): BillingChangeResult {
  return {
    mode: change.mode,
    account: {
      planId: change.account.planId,
      status: change.account.status,
      seats: change.account.seats,
      stripeSubscriptionId: change.account.stripeSubscriptionId,
    },
  };
}

/** The billing nodes' service: BillingActions (Stripe or local) with errors as codes and fields. */
export function billingChangeService(actions: BillingActions): BillingChangeService {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  };
  return {
    mode: actions.mode,
    changeSeats: (workspaceId, seats, key) =>
      guard(async () => result(await actions.change(workspaceId, { seats }, key))),
    changePlan: (workspaceId, change, key) =>
      guard(async () => result(await actions.change(workspaceId, change, key))),
    checkoutLink: (workspaceId, request, key) => guard(() => actions.checkout(workspaceId, request, key)),
  };
}

/** From the environment: Stripe when STRIPE_SECRET_KEY is set, else local billing. */
export function createBillingChangeService(
  knex: Knex,
  env: (StripeEnv & { REVFLOW_PUBLIC_URL?: string }) | NodeJS.ProcessEnv = process.env,
): BillingChangeService {
  const publicUrl = (env.REVFLOW_PUBLIC_URL || 'http://localhost:3000').replace(/\/+$/, '');
  return billingChangeService(
    new BillingActions(knex, createStripeClient(stripeSettingsFromEnv(env)), publicUrl),
  );
}
