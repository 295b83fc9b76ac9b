import type { Knex } from 'knex';
import type Stripe from 'stripe';
import {
  BillingAccounts,
  presentAccount,
  type BillingAccount,
  type BillingAccountRow,
  type BillingStatus,
} from '../accounts.js';
import { DEFAULT_PLAN, getPlan, isPlanId, plans, type PlanId } from '../plans.js';

/** What a Stripe subscription says about a workspace's billing account. */
export interface SubscriptionState {
  subscriptionId: string;
  customerId: string;
  /** Undefined when neither a price lookup key nor metadata names a plan: the plan is kept. */
  planId: PlanId | undefined;
  /** The seat item's quantity; undefined when the subscription has no seat item. */
  seats: number | undefined;
  status: BillingStatus;
  /** Canceled, expired or paused (a trial that ended without a payment method): back to Free. */
  ended: boolean;
  trialEndsAt: Date | null;
  periodStart: Date | null;
  periodEnd: Date | null;
}

export type ApplyOutcome = 'applied' | 'stale' | 'other_subscription' | 'unchanged';

const fromUnix = (seconds: number | null | undefined): Date | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : null;

const idOf = (value: string | { id: string } | null | undefined): string | undefined =>
  typeof value === 'string' ? value : (value?.id ?? undefined);

/** The plan whose base or seat price has this lookup key. */
export function planForLookupKey(lookupKey: string | null | undefined): PlanId | undefined {
  if (!lookupKey) return undefined;
  return plans.find(
    (plan) => plan.stripe.priceLookupKey === lookupKey || plan.stripe.seatPriceLookupKey === lookupKey,
  )?.id;
}

export const isSeatKey = (lookupKey: string | null | undefined): boolean =>
  lookupKey !== null &&
  lookupKey !== undefined &&
  plans.some((plan) => plan.stripe.seatPriceLookupKey === lookupKey);

function statusOf(status: Stripe.Subscription.Status): { status: BillingStatus; ended: boolean } {
  switch (status) {
    case 'trialing':
      return { status: 'trialing', ended: false };
    case 'active':
      return { status: 'active', ended: false };
    case 'past_due':
      return { status: 'past_due', ended: false };
    case 'unpaid':
      return { status: 'unpaid', ended: false };
    case 'incomplete':
      return { status: 'incomplete', ended: false };
    case 'canceled':
    case 'incomplete_expired':
    case 'paused':
      return { status: 'free', ended: true };
    default:
      // A status newer than this code: keep the plan, say nothing is paid.
      return { status: 'incomplete', ended: false };
  }
}

/** Read a subscription: plan from the price lookup keys (or metadata.plan_id), seats, periods, trial. */
export function subscriptionState(subscription: Stripe.Subscription): SubscriptionState {
  const items = subscription.items?.data ?? [];
  const planFromPrices = items
    .map((item) => planForLookupKey(item.price?.lookup_key))
    .find((planId): planId is PlanId => planId !== undefined);
  const metadataPlan = subscription.metadata?.plan_id;
  const planId = planFromPrices ?? (metadataPlan && isPlanId(metadataPlan) ? metadataPlan : undefined);
  const seatItem = items.find((item) => isSeatKey(item.price?.lookup_key));
  const licensed = items.filter((item) => item.price?.recurring?.usage_type !== 'metered');
  const periodItem = licensed[0] ?? items[0];
  const { status, ended } = statusOf(subscription.status);
  const legacy = subscription as unknown as { current_period_start?: number; current_period_end?: number };
  return {
    subscriptionId: subscription.id,
    customerId: idOf(subscription.customer) ?? '',
    planId,
    seats: seatItem?.quantity ?? undefined,
    status,
    ended,
    trialEndsAt: subscription.status === 'trialing' ? fromUnix(subscription.trial_end) : null,
    // Since API version 2025-03-31 periods live on the items; older events carry them on the subscription.
    periodStart: fromUnix(periodItem?.current_period_start ?? legacy.current_period_start),
    periodEnd: fromUnix(periodItem?.current_period_end ?? legacy.current_period_end),
  };
}

/**
 * The Stripe columns of `billing_accounts`. Every write of Stripe state carries the time of the
 * Stripe object it comes from (an event's `created`, or when an API answer was read) and is
 * refused when the account already holds a newer one: out-of-order deliveries change nothing.
 */
export class StripeAccountStore {
  readonly accounts: BillingAccounts;

  constructor(private readonly knex: Knex) {
    this.accounts = new BillingAccounts(knex);
  }

  get(workspaceId: string): Promise<BillingAccount> {
    return this.accounts.get(workspaceId);
  }

  async workspaceOfCustomer(customerId: string): Promise<string | undefined> {
    const row = await this.knex('billing_accounts')
      .where({ stripe_customer_id: customerId })
      .first<{ workspace_id: string } | undefined>('workspace_id');
    return row?.workspace_id;
  }

  async workspaceOfSubscription(subscriptionId: string): Promise<string | undefined> {
    const row = await this.knex('billing_accounts')
      .where({ stripe_subscription_id: subscriptionId })
      .first<{ workspace_id: string } | undefined>('workspace_id');
    return row?.workspace_id;
  }

  /** Store the customer unless one is stored already; returns the one that is. */
  async setCustomer(workspaceId: string, customerId: string): Promise<string> {
    await this.accounts.get(workspaceId);
    await this.knex('billing_accounts')
      .where({ workspace_id: workspaceId })
      .whereNull('stripe_customer_id')
      .update({ stripe_customer_id: customerId, updated_at: this.knex.fn.now() });
    const row = await this.knex('billing_accounts')
      .where({ workspace_id: workspaceId })
      .first<{ stripe_customer_id: string | null }>('stripe_customer_id');
    return row?.stripe_customer_id ?? customerId;
  }

  /**
   * Apply a subscription's state as of `at`. `adopt`: this subscription may replace the
   * account's current one (a creation, a completed checkout, our own update); otherwise an
   * event about another subscription than the account's current one changes nothing.
   * `keepClock`: a state read from Stripe's API just now (our own change), applied without
   * moving `stripe_state_at`; Stripe's event for the change confirms it.
   */
  async applySubscription(
    workspaceId: string,
    state: SubscriptionState,
    at: Date,
    options: { adopt: boolean; keepClock?: boolean },
  ): Promise<ApplyOutcome> {
    await this.accounts.get(workspaceId);
    return this.knex.transaction(async (trx) => {
      const row = await trx<BillingAccountRow>('billing_accounts')
        .where({ workspace_id: workspaceId })
        .forUpdate()
        .first();
      if (!row) throw new Error(`billing account of ${workspaceId} vanished`);
      const account = presentAccount(row);
      if (!options.keepClock && account.stripeStateAt !== null && account.stripeStateAt > at) return 'stale';
      const current = account.stripeSubscriptionId;
      if (current !== null && current !== state.subscriptionId && !options.adopt) return 'other_subscription';
      if (current === null && !options.adopt && state.ended) {
        // The subscription ended already (we fell back to Free): a late copy of its end.
        await trx('billing_accounts').where({ workspace_id: workspaceId }).update({ stripe_state_at: at });
        return 'unchanged';
      }
      // Only Stripe's own clock (event times) orders states: our API answers apply at once but
      // leave it (`keepClock`), so a skewed local clock can never hide a later Stripe event.
      const update: Record<string, unknown> = {
        stripe_state_at: options.keepClock ? account.stripeStateAt : at,
        updated_at: trx.fn.now(),
      };
      if (state.customerId && account.stripeCustomerId === null) update.stripe_customer_id = state.customerId;
      if (state.ended) {
        // The trial ended without payment or the subscription was canceled: Free, nothing deleted.
        Object.assign(update, {
          plan_id: DEFAULT_PLAN,
          status: 'free',
          seats: getPlan(DEFAULT_PLAN).includedSeats,
          trial_ends_at: null,
          stripe_subscription_id: null,
        });
      } else {
        const planId = state.planId ?? account.planId;
        const plan = getPlan(planId);
        Object.assign(update, {
          plan_id: planId,
          status: state.status,
          seats: Math.max(1, state.seats ?? plan.includedSeats),
          trial_ends_at: state.trialEndsAt,
          stripe_subscription_id: state.subscriptionId,
        });
      }
      if (state.periodStart && state.periodEnd && state.periodEnd > state.periodStart) {
        update.current_period_start = state.periodStart;
        update.current_period_end = state.periodEnd;
      }
      await trx('billing_accounts').where({ workspace_id: workspaceId }).update(update);
      return 'applied';
    });
  }

  /**
   * An invoice event: `payment_failed` makes an unpaid subscription `past_due`, `paid` makes it
   * `active` again. Only for the account's current subscription, and only when newer.
   */
  async applyPayment(
    workspaceId: string,
    subscriptionId: string | undefined,
    outcome: 'paid' | 'failed',
    at: Date,
  ): Promise<ApplyOutcome> {
    await this.accounts.get(workspaceId);
    return this.knex.transaction(async (trx) => {
      const row = await trx<BillingAccountRow>('billing_accounts')
        .where({ workspace_id: workspaceId })
        .forUpdate()
        .first();
      if (!row) throw new Error(`billing account of ${workspaceId} vanished`);
      const account = presentAccount(row);
      if (account.stripeStateAt !== null && account.stripeStateAt > at) return 'stale';
      if (
        !account.stripeSubscriptionId ||
        (subscriptionId && subscriptionId !== account.stripeSubscriptionId)
      )
        return 'other_subscription';
      let status: BillingStatus = account.status;
      if (outcome === 'failed' && (account.status === 'active' || account.status === 'trialing'))
        status = 'past_due';
      if (outcome === 'paid' && ['past_due', 'unpaid', 'incomplete'].includes(account.status))
        status = 'active';
      if (status === account.status) return 'unchanged';
      await trx('billing_accounts')
        .where({ workspace_id: workspaceId })
        .update({ status, stripe_state_at: at, updated_at: trx.fn.now() });
      return 'applied';
    });
  }
}
