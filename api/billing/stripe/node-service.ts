import type { Knex } from 'knex';
import type {
  BillingChangeResult,
  BillingChangeService,
  BillingChangeSource,
} from '../../../nodes/billing/service.js';
import { audit } from '../../audit/audit.js';
import { BillingActions, type BillingChangeRequest } from '../actions.js';
import type { ChangeResult } from '../provider.js';
import { createStripeClient } from './client.js';
import { billingSettings } from '../settings.js';
import { stripeSettingsFromEnv, type StripeEnv } from './config.js';

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

/**
 * The billing nodes' service: BillingActions (Stripe or local). Its errors are domain errors
 * (code, field); the billing nodes turn them into step failures. A change writes the audit
 * entry POST billing/change writes, with the version's publisher as the actor.
 */
export function billingChangeService(knex: Knex, actions: BillingActions): BillingChangeService {
  const change = async (
    workspaceId: string,
    request: BillingChangeRequest,
    key: string,
    by: BillingChangeSource,
  ): Promise<BillingChangeResult> => {
    const before = await actions.store.get(workspaceId);
    const changed = await actions.change(workspaceId, request, key);
    await audit(knex, {
      workspaceId,
      actor: by.actor,
      action: 'billing.change',
      target: { type: 'workflow', id: by.workflowId },
      metadata: {
        mode: changed.mode,
        from: { planId: before.planId, seats: before.seats },
        to: { planId: changed.account.planId, seats: changed.account.seats },
        via: { runId: by.runId, nodeId: by.nodeId },
      },
    });
    return result(changed);
  };
  return {
    mode: actions.mode,
    changeSeats: (workspaceId, seats, key, by) => change(workspaceId, { seats }, key, by),
    changePlan: (workspaceId, request, key, by) => change(workspaceId, request, key, by),
    checkoutLink: (workspaceId, request, key) => actions.checkout(workspaceId, request, key),
  };
}

/** From the environment: Stripe when STRIPE_SECRET_KEY is set, else local billing. */
export function createBillingChangeService(
  knex: Knex,
  env: (StripeEnv & { REVFLOW_PUBLIC_URL?: string }) | NodeJS.ProcessEnv = process.env,
): BillingChangeService {
  const publicUrl = billingSettings(env).REVFLOW_PUBLIC_URL.replace(/\/+$/, '');
  return billingChangeService(
    knex,
    new BillingActions(knex, createStripeClient(stripeSettingsFromEnv(env)), publicUrl),
  );
}
