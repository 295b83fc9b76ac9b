import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { LocalBillingProvider } from './local-provider.js';
import { getPlan } from './plans.js';
import {
  monthlyCents,
  resolveChange,
  type BillingPreview,
  type BillingProvider,
  type ChangeResult,
  type CheckoutRequest,
  type CheckoutSession,
  type InvoiceSummary,
  type PlanChange,
} from './provider.js';

export type { PlanChange as BillingChangeRequest };
import { StripeAccountStore } from './stripe/state.js';
import { StripeBillingProvider } from './stripe/provider.js';

/**
 * What the Billing page and the billing nodes do about plans, seats and payment: a change is
 * checked once here (plan, seats, occupancy), then made by the provider — Stripe's with a
 * Stripe client, the local one without.
 */
export class BillingActions {
  readonly store: StripeAccountStore;
  readonly provider: BillingProvider;

  constructor(
    private readonly knex: Knex,
    stripe: Stripe | undefined,
    publicUrl: string,
  ) {
    this.store = new StripeAccountStore(knex);
    this.provider = stripe
      ? new StripeBillingProvider(knex, stripe, this.store, publicUrl)
      : new LocalBillingProvider(this.store.accounts);
  }

  get mode(): 'stripe' | 'local' {
    return this.provider.mode;
  }

  async preview(workspaceId: string, change: PlanChange): Promise<BillingPreview> {
    const account = await this.store.get(workspaceId);
    const target = await resolveChange(this.knex, account, change);
    return this.provider.preview(account, target, {
      current: {
        planId: account.planId,
        seats: account.seats,
        monthlyCents: monthlyCents(getPlan(account.planId), account.seats),
      },
      proposed: {
        planId: target.plan.id,
        seats: target.seats,
        monthlyCents: monthlyCents(target.plan, target.seats),
      },
    });
  }

  async change(
    workspaceId: string,
    change: PlanChange,
    idempotencyKey: string = randomUUID(),
  ): Promise<ChangeResult> {
    const account = await this.store.get(workspaceId);
    const target = await resolveChange(this.knex, account, change);
    return this.provider.change(account, target, idempotencyKey);
  }

  checkout(
    workspaceId: string,
    request: CheckoutRequest,
    idempotencyKey: string = randomUUID(),
  ): Promise<CheckoutSession> {
    return this.provider.checkout(workspaceId, request, idempotencyKey);
  }

  portal(
    workspaceId: string,
    returnUrl: string | undefined,
    idempotencyKey: string = randomUUID(),
  ): Promise<{ url: string }> {
    return this.provider.portal(workspaceId, returnUrl, idempotencyKey);
  }

  invoices(workspaceId: string, limit = 24): Promise<InvoiceSummary[]> {
    return this.provider.invoices(workspaceId, limit);
  }
}
