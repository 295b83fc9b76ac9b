import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { invalidField, ProblemError } from '../../http/problem.js';
import { countMembers } from '../../workspaces/repository.js';
import { seatsForChange, type BillingAccount } from '../accounts.js';
import { getPlan, isPlanId, seatLimitFor, type MeterId, type Plan, type PlanId } from '../plans.js';
import { isSeatKey, planForLookupKey, StripeAccountStore, subscriptionState } from './state.js';

/** The Stripe price of a plan's overage on one meter (a metered price, tiered in Stripe). */
export function meteredPriceLookupKey(planId: PlanId, meter: MeterId): string {
  return `revflow_${planId}_${meter}_metered`;
}

/** The Meter Event name a meter's usage is reported under (a Stripe Meter listens to it). */
export function meterEventName(meter: string): string {
  return `revflow_${meter.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export interface PlanChange {
  planId?: string;
  seats?: number;
}

export interface InvoiceLine {
  description: string | null;
  amountCents: number;
  proration: boolean;
}

export interface BillingPreview {
  mode: 'stripe' | 'local';
  currency: string;
  current: { planId: PlanId; seats: number; monthlyCents: number };
  proposed: { planId: PlanId; seats: number; monthlyCents: number };
  /** Charged when the change is made (prorations); 0 in local mode, where nothing is charged. */
  amountDueNowCents: number;
  nowLines: InvoiceLine[];
  /** The next regular invoice after the change (local mode: the catalogue price, not charged). */
  nextInvoice: { amountDueCents: number; periodEnd: string | null; lines: InvoiceLine[] };
  note: string | null;
}

export interface AccountSummary {
  workspaceId: string;
  planId: PlanId;
  status: string;
  seats: number;
  trialEndsAt: string | null;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  stripeSubscriptionId: string | null;
}

export interface ChangeResult {
  mode: 'stripe' | 'local';
  account: AccountSummary;
}

export interface InvoiceSummary {
  id: string;
  number: string | null;
  status: string | null;
  currency: string;
  amountDueCents: number;
  amountPaidCents: number;
  totalCents: number;
  created: string;
  periodStart: string | null;
  periodEnd: string | null;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
}

export const LOCAL_MODE_DETAIL =
  'Billing runs in local mode (no STRIPE_SECRET_KEY): plans and seats change here and nothing is charged';

export function summarize(account: BillingAccount): AccountSummary {
  return {
    workspaceId: account.workspaceId,
    planId: account.planId,
    status: account.status,
    seats: account.seats,
    trialEndsAt: account.trialEndsAt?.toISOString() ?? null,
    currentPeriodStart: account.currentPeriodStart.toISOString(),
    currentPeriodEnd: account.currentPeriodEnd.toISOString(),
    stripeSubscriptionId: account.stripeSubscriptionId,
  };
}

/** List price of a plan with `seats` seats, per month, from the catalogue. */
export function monthlyCents(plan: Plan, seats: number): number {
  const extra = Math.max(0, seats - plan.includedSeats);
  return plan.priceMonthlyCents + extra * (plan.extraSeatPriceCents ?? 0);
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

/** A Stripe API error as problem+json: 502 (Stripe refused or failed), naming Stripe's code. */
export function stripeProblem(error: unknown, what: string): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    return new ProblemError(
      502,
      'Stripe error',
      `${what} failed: Stripe answered ${status || 'nothing'}: ${error.message}`,
      {
        type: 'https://revflow.dev/problems/stripe',
        stripeCode: error.code ?? error.type,
        stripeStatus: status,
      },
    );
  }
  return new ProblemError(
    502,
    'Stripe error',
    `${what} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      type: 'https://revflow.dev/problems/stripe',
    },
  );
}

const localModeProblem = (): ProblemError =>
  new ProblemError(
    409,
    'Conflict',
    'billing runs in local mode: there is no Stripe checkout, portal or payment',
    {
      type: 'https://revflow.dev/problems/billing-local-mode',
      reason: 'local_mode',
    },
  );

/**
 * What the Billing page and the billing nodes do about plans, seats and payment, in both modes:
 * with a Stripe client, through Stripe (customer per workspace, subscription with a base price,
 * a seat price with quantity = seats and metered overage prices, all found by lookup key; every
 * mutating call with an Idempotency-Key); without one, on the local billing account.
 */
export class BillingActions {
  readonly store: StripeAccountStore;
  private readonly priceCache = new Map<string, { at: number; price: Stripe.Price | null }>();

  constructor(
    private readonly knex: Knex,
    readonly stripe: Stripe | undefined,
    private readonly publicUrl: string,
  ) {
    this.store = new StripeAccountStore(knex);
  }

  get mode(): 'stripe' | 'local' {
    return this.stripe ? 'stripe' : 'local';
  }

  // --- customer and prices ------------------------------------------------------------------

  /** The workspace's Stripe customer, created on first use (metadata.workspace_id). */
  async ensureCustomer(workspaceId: string): Promise<string> {
    const stripe = this.requireStripe();
    const account = await this.store.get(workspaceId);
    if (account.stripeCustomerId) return account.stripeCustomerId;
    const workspace = await this.knex('workspaces')
      .where({ id: workspaceId })
      .first<{ name: string }>('name');
    let customer: Stripe.Customer;
    try {
      customer = await stripe.customers.create(
        { name: workspace?.name ?? workspaceId, metadata: { workspace_id: workspaceId } },
        // One customer per workspace even when two requests race or a request is retried.
        { idempotencyKey: `revflow-customer-${workspaceId}` },
      );
    } catch (error) {
      throw stripeProblem(error, 'Creating the Stripe customer');
    }
    return this.store.setCustomer(workspaceId, customer.id);
  }

  /** Prices by lookup key (cached for a few minutes); a missing key is null. */
  async prices(lookupKeys: readonly string[]): Promise<Map<string, Stripe.Price | null>> {
    const stripe = this.requireStripe();
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
        listed = await stripe.prices.list({ lookup_keys: missing, active: true, limit: 100 });
      } catch (error) {
        throw stripeProblem(error, 'Looking up the prices');
      }
      for (const key of missing) {
        const price = listed.data.find((candidate) => candidate.lookup_key === key) ?? null;
        this.priceCache.set(key, { at: now, price });
        result.set(key, price);
      }
    }
    return result;
  }

  /** The subscription items a plan with `seats` seats is made of: base, seats, metered overage. */
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
        throw new ProblemError(
          503,
          'Stripe is not set up',
          `Stripe has no active price with lookup key "${key}"`,
          {
            type: 'https://revflow.dev/problems/stripe-setup',
            lookupKey: key,
          },
        );
    }
    const metered = meteredKeys
      .map((key) => prices.get(key))
      .filter((price): price is Stripe.Price => !!price);
    return { base: base!, seat: seat!, metered };
  }

  // --- validation shared by both modes --------------------------------------------------------

  /** The plan and seats a change asks for, checked like BillingAccounts.setPlan plus occupancy. */
  async resolveChange(account: BillingAccount, change: PlanChange): Promise<{ plan: Plan; seats: number }> {
    if (change.planId === undefined && change.seats === undefined)
      throw invalidField('planId', 'give planId, seats or both');
    if (change.planId !== undefined && !isPlanId(change.planId))
      throw invalidField('planId', `unknown plan "${change.planId}"`);
    const plan = getPlan(change.planId ?? account.planId);
    const seats = seatsForChange(plan, getPlan(account.planId), account.seats, change.seats);
    const taken = await this.seatsTaken(account.workspaceId);
    const limit = seatLimitFor(plan.id, seats);
    if (limit < taken.members + taken.pending) {
      throw new ProblemError(
        409,
        'Seats in use',
        `${taken.members} member${taken.members === 1 ? '' : 's'} and ${taken.pending} pending invitation${taken.pending === 1 ? '' : 's'} ` +
          `take ${taken.members + taken.pending} seats; the ${plan.title} plan with ${limit} seats is too small — remove members or revoke invitations first`,
        {
          type: 'https://revflow.dev/problems/seats-in-use',
          invalidParams: [
            {
              name: change.seats !== undefined ? 'seats' : 'planId',
              reason: `at least ${taken.members + taken.pending} seats are in use`,
            },
          ],
          seatsUsed: taken.members + taken.pending,
        },
      );
    }
    return { plan, seats };
  }

  private async seatsTaken(workspaceId: string): Promise<{ members: number; pending: number }> {
    const [members, pending] = await Promise.all([
      countMembers(this.knex, workspaceId),
      this.knex('invitations')
        .where({ workspace_id: workspaceId })
        .whereNull('accepted_at')
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', this.knex.fn.now())
        .count<{ count: string }>('* as count')
        .first(),
    ]);
    return { members, pending: Number(pending?.count ?? 0) };
  }

  // --- preview --------------------------------------------------------------------------------

  async preview(workspaceId: string, change: PlanChange): Promise<BillingPreview> {
    const account = await this.store.get(workspaceId);
    const { plan, seats } = await this.resolveChange(account, change);
    const current = {
      planId: account.planId,
      seats: account.seats,
      monthlyCents: monthlyCents(getPlan(account.planId), account.seats),
    };
    const proposed = { planId: plan.id, seats, monthlyCents: monthlyCents(plan, seats) };
    if (!this.stripe) {
      return {
        mode: 'local',
        currency: 'usd',
        current,
        proposed,
        amountDueNowCents: 0,
        nowLines: [],
        nextInvoice: {
          amountDueCents: proposed.monthlyCents,
          periodEnd: account.currentPeriodEnd.toISOString(),
          lines: [
            {
              description: `${plan.title} with ${seats} seats (catalogue price)`,
              amountCents: proposed.monthlyCents,
              proration: false,
            },
          ],
        },
        note: LOCAL_MODE_DETAIL,
      };
    }
    const stripe = this.stripe;
    const customer = await this.ensureCustomer(workspaceId);
    try {
      if (!account.stripeSubscriptionId) {
        if (plan.id === 'free') throw invalidField('planId', 'the Free plan has no subscription to preview');
        // No subscription yet: what the first invoice of a new one would be (paid at checkout).
        const items = await this.itemsFor(plan);
        const invoice = await stripe.invoices.createPreview({
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
          current,
          proposed,
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
      const subscription = await stripe.subscriptions.retrieve(account.stripeSubscriptionId);
      const items = await this.subscriptionItemsFor(subscription, plan, seats);
      const prorationDate = Math.floor(Date.now() / 1000);
      const now = await stripe.invoices.createPreview({
        customer,
        subscription: subscription.id,
        subscription_details: { items, proration_behavior: 'always_invoice', proration_date: prorationDate },
      });
      const next = await stripe.invoices.createPreview({
        customer,
        subscription: subscription.id,
        subscription_details: { items, proration_behavior: 'none' },
      });
      return {
        mode: 'stripe',
        currency: now.currency,
        current,
        proposed,
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
      throw stripeProblem(error, 'Previewing the invoice');
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
    const items: Stripe.SubscriptionUpdateParams.Item[] = [];
    items.push(
      baseItem
        ? { id: baseItem.id, price: wanted.base.id, quantity: 1 }
        : { price: wanted.base.id, quantity: 1 },
    );
    items.push(
      seatItem
        ? { id: seatItem.id, price: wanted.seat.id, quantity: seats }
        : { price: wanted.seat.id, quantity: seats },
    );
    const keep = new Set(wanted.metered.map((price) => price.id));
    for (const item of meteredItems) if (!keep.has(item.price.id)) items.push({ id: item.id, deleted: true });
    const have = new Set(meteredItems.map((item) => item.price.id));
    for (const price of wanted.metered) if (!have.has(price.id)) items.push({ price: price.id });
    return items;
  }

  // --- change ---------------------------------------------------------------------------------

  async change(
    workspaceId: string,
    change: PlanChange,
    idempotencyKey: string = randomUUID(),
  ): Promise<ChangeResult> {
    const account = await this.store.get(workspaceId);
    const { plan, seats } = await this.resolveChange(account, change);
    if (!this.stripe) {
      const updated = await this.store.accounts.setPlan(workspaceId, { planId: plan.id, seats });
      return { mode: 'local', account: summarize(updated) };
    }
    const stripe = this.stripe;
    if (!account.stripeSubscriptionId) {
      if (plan.id === 'free') {
        const updated = await this.store.accounts.setPlan(workspaceId, { planId: plan.id, seats });
        return { mode: 'stripe', account: summarize(updated) };
      }
      throw new ProblemError(
        409,
        'No subscription',
        'This workspace has no Stripe subscription yet: start one with POST billing/checkout',
        {
          type: 'https://revflow.dev/problems/no-subscription',
          reason: 'no_subscription',
        },
      );
    }
    let updated: Stripe.Subscription;
    try {
      if (plan.id === 'free') {
        updated = await stripe.subscriptions.cancel(
          account.stripeSubscriptionId,
          { prorate: true, invoice_now: true },
          { idempotencyKey: `${idempotencyKey}:cancel` },
        );
      } else {
        const subscription = await stripe.subscriptions.retrieve(account.stripeSubscriptionId);
        const items = await this.subscriptionItemsFor(subscription, plan, seats);
        updated = await stripe.subscriptions.update(
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
      throw stripeProblem(error, 'Changing the subscription');
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

  // --- checkout, portal, invoices -------------------------------------------------------------

  async checkout(
    workspaceId: string,
    request: { planId: string; seats?: number; successUrl?: string; cancelUrl?: string },
    idempotencyKey: string = randomUUID(),
  ): Promise<{ url: string; sessionId: string }> {
    if (!this.stripe) throw localModeProblem();
    if (!isPlanId(request.planId)) throw invalidField('planId', `unknown plan "${request.planId}"`);
    if (request.planId === 'free') throw invalidField('planId', 'the Free plan needs no checkout');
    const stripe = this.stripe;
    const account = await this.store.get(workspaceId);
    const { plan, seats } = await this.resolveChange(account, {
      planId: request.planId,
      seats: request.seats,
    });
    const customer = await this.ensureCustomer(workspaceId);
    const items = await this.itemsFor(plan);
    const base = this.publicUrl.replace(/\/+$/, '');
    try {
      const session = await stripe.checkout.sessions.create(
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
      throw stripeProblem(error, 'Creating the checkout session');
    }
  }

  async portal(
    workspaceId: string,
    returnUrl: string | undefined,
    idempotencyKey: string = randomUUID(),
  ): Promise<{ url: string }> {
    if (!this.stripe) throw localModeProblem();
    const customer = await this.ensureCustomer(workspaceId);
    try {
      const session = await this.stripe.billingPortal.sessions.create(
        { customer, return_url: returnUrl ?? `${this.publicUrl.replace(/\/+$/, '')}/billing` },
        { idempotencyKey: `${idempotencyKey}:portal` },
      );
      return { url: session.url };
    } catch (error) {
      throw stripeProblem(error, 'Opening the customer portal');
    }
  }

  async invoices(workspaceId: string, limit = 24): Promise<InvoiceSummary[]> {
    if (!this.stripe) return [];
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
      throw stripeProblem(error, 'Listing the invoices');
    }
  }

  private requireStripe(): Stripe {
    if (!this.stripe) throw localModeProblem();
    return this.stripe;
  }
}
