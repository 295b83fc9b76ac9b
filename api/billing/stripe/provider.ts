import type { Knex } from 'knex';
import Stripe from 'stripe';
import { DomainError } from '../../../engine/errors.js';
import type { BillingAccount } from '../accounts.js';
import { billingInputError, STRIPE_FAILURE } from '../errors.js';
import type { MeterId, Plan, PlanId } from '../plans.js';
import {
  resolveChange,
  summarize,
  type BillingPreview,
  type BillingProvider,
  type ChangeResult,
  type ChangeTarget,
  type CheckoutRequest,
  type CheckoutSession,
  type InvoiceLine,
  type InvoiceSummary,
  type PreviewFigures,
} from '../provider.js';
import { isSeatKey, planForLookupKey, subscriptionState, type StripeAccountStore } from './state.js';

/** The Stripe price of a plan's overage on one meter (a metered price, tiered in Stripe). */
export function meteredPriceLookupKey(planId: PlanId, meter: MeterId): string {
  return `revflow_${planId}_${meter}_metered`;
}

/** The Meter Event name a meter's usage is reported under (a Stripe Meter listens to it). */
export function meterEventName(meter: string): string {
  return `revflow_${meter.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

const iso = (seconds: number | null | undefined): string | null =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;

function linesOf(invoice: Stripe.Invoice): InvoiceLine[] {
  return (invoice.lines?.data ?? []).map((line) => {
    const parent = line.parent;
    const proration =
      parent?.subscription_item_details?.proration ?? parent?.invoice_item_details?.proration ?? false;
    return { description: line.description ?? null, amountCents: line.amount, proration };
  });
}

/** A Stripe API failure as a domain error with Stripe's code (the Stripe routes answer it 502). */
export function stripeFailure(error: unknown, what: string): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    return new DomainError(
      'unavailable',
      STRIPE_FAILURE,
      `${what} failed: Stripe answered ${status || 'nothing'}: ${error.message}`,
      undefined,
      { stripeCode: error.code ?? error.type, stripeStatus: status },
    );
  }
  return new DomainError(
    'unavailable',
    STRIPE_FAILURE,
    `${what} failed: ${(error as Error)?.message ?? String(error)}`,
  );
}

/**
 * Billing through Stripe: a customer per workspace, a subscription with a base price, a seat
 * price with quantity = seats and metered overage prices, all found by lookup key; every
 * mutating call carries an Idempotency-Key.
 */
export class StripeBillingProvider implements BillingProvider {
  readonly mode = 'stripe' as const;
  private readonly priceCache = new Map<string, { at: number; price: Stripe.Price | null }>();

  constructor(
    private readonly knex: Knex,
    private readonly stripe: Stripe,
    private readonly store: StripeAccountStore,
    private readonly publicUrl: string,
  ) {}

  /** The workspace's Stripe customer, created on first use (metadata.workspace_id). */
  async ensureCustomer(workspaceId: string): Promise<string> {
    const account = await this.store.get(workspaceId);
    if (account.stripeCustomerId) return account.stripeCustomerId;
    const workspace = await this.knex('workspaces')
      .where({ id: workspaceId })
      .first<{ name: string }>('name');
    let customer: Stripe.Customer;
    try {
      customer = await this.stripe.customers.create(
        { name: workspace?.name ?? workspaceId, metadata: { workspace_id: workspaceId } },
        // One customer per workspace even when two requests race or a request is retried.
        { idempotencyKey: `revflow-customer-${workspaceId}` },
      );
    } catch (error) {
      throw stripeFailure(error, 'Creating the Stripe customer');
    }
    return this.store.setCustomer(workspaceId, customer.id);
  }

  /** Prices by lookup key (cached for a few minutes); a missing key is null. */
  async prices(lookupKeys: readonly string[]): Promise<Map<string, Stripe.Price | null>> {
    const now = Date.now();
    const result = new Map<string, Stripe.Price | null>();
    const missing: string[] = [];
    for (const key of lookupKeys) {
      const cached = this.priceCache.get(key);
      if (cached && now - cached.at < 300_000) result.set(key, cached.price);
      else missing.push(key);
    }
    if (missing.length > 0) {
      let listed: Stripe.ApiList<Stripe.Price>;
      try {
        listed = await this.stripe.prices.list({ lookup_keys: missing, active: true, limit: 100 });
      } catch (error) {
        throw stripeFailure(error, 'Looking up the prices');
      }
      for (const key of missing) {
        const price = listed.data.find((candidate) => candidate.lookup_key === key) ?? null;
        this.priceCache.set(key, { at: now, price });
        result.set(key, price);
      }
    }
    return result;
  }

  /** The subscription items a plan is made of: base, seats, metered overage. */
  private async itemsFor(
    plan: Plan,
  ): Promise<{ base: Stripe.Price; seat: Stripe.Price; metered: Stripe.Price[] }> {
    const meteredKeys = plan.overage.allowed
      ? Object.keys(plan.overage.prices).map((meter) => meteredPriceLookupKey(plan.id, meter as MeterId))
      : [];
    const prices = await this.prices([
      plan.stripe.priceLookupKey,
      plan.stripe.seatPriceLookupKey,
      ...meteredKeys,
    ]);
    const base = prices.get(plan.stripe.priceLookupKey);
    const seat = prices.get(plan.stripe.seatPriceLookupKey);
    for (const [key, price] of [
      [plan.stripe.priceLookupKey, base],
      [plan.stripe.seatPriceLookupKey, seat],
    ] as const) {
      if (!price)
        throw new DomainError(
          'unavailable',
          'stripe_setup',
          `Stripe has no active price with lookup key "${key}"`,
          undefined,
          { lookupKey: key },
        );
    }
    const metered = meteredKeys
      .map((key) => prices.get(key))
      .filter((price): price is Stripe.Price => !!price);
    return { base: base!, seat: seat!, metered };
  }

  async preview(
    account: BillingAccount,
    target: ChangeTarget,
    figures: PreviewFigures,
  ): Promise<BillingPreview> {
    const { plan, seats } = target;
    const customer = await this.ensureCustomer(account.workspaceId);
    try {
      if (!account.stripeSubscriptionId) {
        if (plan.id === 'free')
          throw billingInputError('planId', 'the Free plan has no subscription to preview');
        // No subscription yet: what the first invoice of a new one would be (paid at checkout).
        const items = await this.itemsFor(plan);
        const invoice = await this.stripe.invoices.createPreview({
          customer,
          subscription_details: {
            items: [
              { price: items.base.id, quantity: 1 },
              { price: items.seat.id, quantity: seats },
              ...items.metered.map((price) => ({ price: price.id })),
            ],
          },
        });
        return {
          mode: 'stripe',
          currency: invoice.currency,
          ...figures,
          amountDueNowCents: invoice.amount_due,
          nowLines: linesOf(invoice),
          nextInvoice: {
            amountDueCents: invoice.amount_due,
            periodEnd: iso(invoice.period_end),
            lines: linesOf(invoice),
          },
          note: 'No subscription yet: this is the first invoice, paid at checkout',
        };
      }
      const subscription = await this.stripe.subscriptions.retrieve(account.stripeSubscriptionId);
      const items = await this.subscriptionItemsFor(subscription, plan, seats);
      const prorationDate = Math.floor(Date.now() / 1000);
      const now = await this.stripe.invoices.createPreview({
        customer,
        subscription: subscription.id,
        subscription_details: { items, proration_behavior: 'always_invoice', proration_date: prorationDate },
      });
      const next = await this.stripe.invoices.createPreview({
        customer,
        subscription: subscription.id,
        subscription_details: { items, proration_behavior: 'none' },
      });
      return {
        mode: 'stripe',
        currency: now.currency,
        ...figures,
        amountDueNowCents: now.amount_due,
        nowLines: linesOf(now),
        nextInvoice: {
          amountDueCents: next.amount_due,
          periodEnd: iso(next.period_end),
          lines: linesOf(next),
        },
        note: null,
      };
    } catch (error) {
      throw stripeFailure(error, 'Previewing the invoice');
    }
  }

  /** Item changes turning `subscription` into `plan` with `seats`: swap prices, set quantity. */
  private async subscriptionItemsFor(
    subscription: Stripe.Subscription,
    plan: Plan,
    seats: number,
  ): Promise<Stripe.SubscriptionUpdateParams.Item[]> {
    const wanted = await this.itemsFor(plan);
    const existing = subscription.items.data;
    const isSeat = (item: Stripe.SubscriptionItem): boolean => isSeatKey(item.price.lookup_key);
    const baseItem = existing.find(
      (item) =>
        planForLookupKey(item.price.lookup_key) &&
        !isSeat(item) &&
        item.price.recurring?.usage_type !== 'metered',
    );
    const seatItem = existing.find(isSeat);
    const meteredItems = existing.filter((item) => item.price.recurring?.usage_type === 'metered');
    const items: Stripe.SubscriptionUpdateParams.Item[] = [
      baseItem
        ? { id: baseItem.id, price: wanted.base.id, quantity: 1 }
        : { price: wanted.base.id, quantity: 1 },
      seatItem
        ? { id: seatItem.id, price: wanted.seat.id, quantity: seats }
        : { price: wanted.seat.id, quantity: seats },
    ];
    const keep = new Set(wanted.metered.map((price) => price.id));
    for (const item of meteredItems) if (!keep.has(item.price.id)) items.push({ id: item.id, deleted: true });
    const have = new Set(meteredItems.map((item) => item.price.id));
    for (const price of wanted.metered) if (!have.has(price.id)) items.push({ price: price.id });
    return items;
  }

  async change(account: BillingAccount, target: ChangeTarget, idempotencyKey: string): Promise<ChangeResult> {
    const { plan, seats } = target;
    const workspaceId = account.workspaceId;
    if (!account.stripeSubscriptionId) {
      if (plan.id === 'free') {
        const updated = await this.store.accounts.setPlan(workspaceId, { planId: plan.id, seats });
        return { mode: 'stripe', account: summarize(updated) };
      }
      throw new DomainError(
        'conflict',
        'no_subscription',
        'This workspace has no Stripe subscription yet: start one with POST billing/checkout',
        undefined,
        { reason: 'no_subscription' },
      );
    }
    let updated: Stripe.Subscription;
    try {
      if (plan.id === 'free') {
        updated = await this.stripe.subscriptions.cancel(
          account.stripeSubscriptionId,
          { prorate: true, invoice_now: true },
          { idempotencyKey: `${idempotencyKey}:cancel` },
        );
      } else {
        const subscription = await this.stripe.subscriptions.retrieve(account.stripeSubscriptionId);
        const items = await this.subscriptionItemsFor(subscription, plan, seats);
        updated = await this.stripe.subscriptions.update(
          subscription.id,
          {
            items,
            proration_behavior: 'always_invoice',
            metadata: { workspace_id: workspaceId, plan_id: plan.id },
          },
          { idempotencyKey: `${idempotencyKey}:update` },
        );
      }
    } catch (error) {
      throw stripeFailure(error, 'Changing the subscription');
    }
    // Stripe's answer is its state now: shown at once; Stripe's event for the change confirms it.
    await this.store.applySubscription(
      workspaceId,
      subscriptionState(updated),
      account.stripeStateAt ?? new Date(0),
      {
        adopt: true,
        keepClock: true,
      },
    );
    return { mode: 'stripe', account: summarize(await this.store.get(workspaceId)) };
  }

  async checkout(
    workspaceId: string,
    request: CheckoutRequest,
    idempotencyKey: string,
  ): Promise<CheckoutSession> {
    if (request.planId === 'free') throw billingInputError('planId', 'the Free plan needs no checkout');
    const account = await this.store.get(workspaceId);
    const { plan, seats } = await resolveChange(this.knex, account, {
      planId: request.planId,
      seats: request.seats,
    });
    const customer = await this.ensureCustomer(workspaceId);
    const items = await this.itemsFor(plan);
    const base = this.publicUrl.replace(/\/+$/, '');
    try {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer,
          client_reference_id: workspaceId,
          line_items: [
            { price: items.base.id, quantity: 1 },
            { price: items.seat.id, quantity: seats },
            ...items.metered.map((price) => ({ price: price.id })),
          ],
          success_url:
            request.successUrl ?? `${base}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: request.cancelUrl ?? `${base}/billing?checkout=canceled`,
          metadata: { workspace_id: workspaceId, plan_id: plan.id },
          subscription_data: { metadata: { workspace_id: workspaceId, plan_id: plan.id } },
        },
        { idempotencyKey: `${idempotencyKey}:checkout` },
      );
      if (!session.url) throw new Error('Stripe returned a session without a url');
      return { url: session.url, sessionId: session.id };
    } catch (error) {
      throw stripeFailure(error, 'Creating the checkout session');
    }
  }

  async portal(
    workspaceId: string,
    returnUrl: string | undefined,
    idempotencyKey: string,
  ): Promise<{ url: string }> {
    const customer = await this.ensureCustomer(workspaceId);
    try {
      const session = await this.stripe.billingPortal.sessions.create(
        { customer, return_url: returnUrl ?? `${this.publicUrl.replace(/\/+$/, '')}/billing` },
        { idempotencyKey: `${idempotencyKey}:portal` },
      );
      return { url: session.url };
    } catch (error) {
      throw stripeFailure(error, 'Opening the customer portal');
    }
  }

  async invoices(workspaceId: string, limit: number): Promise<InvoiceSummary[]> {
    const account = await this.store.get(workspaceId);
    if (!account.stripeCustomerId) return [];
    try {
      const listed = await this.stripe.invoices.list({ customer: account.stripeCustomerId, limit });
      return listed.data.map((invoice) => ({
        id: invoice.id ?? '',
        number: invoice.number ?? null,
        status: invoice.status ?? null,
        currency: invoice.currency,
        amountDueCents: invoice.amount_due,
        amountPaidCents: invoice.amount_paid,
        totalCents: invoice.total,
        created: new Date(invoice.created * 1000).toISOString(),
        periodStart: iso(invoice.period_start),
        periodEnd: iso(invoice.period_end),
        hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
        invoicePdf: invoice.invoice_pdf ?? null,
      }));
    } catch (error) {
      throw stripeFailure(error, 'Listing the invoices');
    }
  }
}
