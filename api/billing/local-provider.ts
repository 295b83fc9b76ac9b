import type { BillingAccount, BillingAccounts } from './accounts.js';
import { localModeError } from './errors.js';
import { getPlan, type Plan } from './plans.js';
import {
  LOCAL_MODE_DETAIL,
  summarize,
  type BillingPreview,
  type BillingProvider,
  type ChangeResult,
  type CheckoutSession,
  type InvoiceLine,
  type InvoiceSummary,
} from './provider.js';

/**
 * Billing without Stripe (no STRIPE_SECRET_KEY): plans and seats change on the local billing
 * account, previews show the catalogue price and the prorations Stripe would invoice now
 * (nothing is charged), and there is no checkout, portal or invoice.
 */
export class LocalBillingProvider implements BillingProvider {
  readonly mode = 'local' as const;

  constructor(
    private readonly accounts: BillingAccounts,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async preview(
    ...[account, target, figures]: Parameters<BillingProvider['preview']>
  ): Promise<BillingPreview> {
    const nowLines = prorationLines(account, target.plan, target.seats, this.now());
    const total = nowLines.reduce((sum, line) => sum + line.amountCents, 0);
    return {
      mode: 'local',
      currency: 'usd',
      ...figures,
      // Like Stripe: a net credit is not paid out now, it lowers later invoices.
      amountDueNowCents: Math.max(0, total),
      nowLines,
      nextInvoice: {
        amountDueCents: figures.proposed.monthlyCents,
        periodEnd: account.currentPeriodEnd.toISOString(),
        lines: [
          {
            description: `${target.plan.title} with ${target.seats} seats (catalogue price)`,
            amountCents: figures.proposed.monthlyCents,
            proration: false,
          },
        ],
      },
      note: LOCAL_MODE_DETAIL,
    };
  }

  async change(...[account, target]: Parameters<BillingProvider['change']>): Promise<ChangeResult> {
    const updated = await this.accounts.setPlan(account.workspaceId, {
      planId: target.plan.id,
      seats: target.seats,
    });
    return { mode: 'local', account: summarize(updated) };
  }

  async checkout(): Promise<CheckoutSession> {
    throw localModeError();
  }

  async portal(): Promise<{ url: string }> {
    throw localModeError();
  }

  async invoices(): Promise<InvoiceSummary[]> {
    return [];
  }
}

/** A subscription item as Stripe would hold it: the plan's base price, and its extra seats. */
interface Item {
  description: string;
  unitCents: number;
  quantity: number;
}

function itemsOf(plan: Plan, seats: number): Item[] {
  const extra = Math.max(0, seats - plan.includedSeats);
  return [
    { description: plan.title, unitCents: plan.priceMonthlyCents, quantity: 1 },
    { description: `${plan.title} extra seat`, unitCents: plan.extraSeatPriceCents ?? 0, quantity: extra },
  ];
}

/** `04 Dec 2026`: the date in Stripe's proration descriptions (UTC). */
function stripeDate(date: Date): string {
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${String(date.getUTCDate()).padStart(2, '0')} ${month} ${date.getUTCFullYear()}`;
}

const label = (item: Item): string =>
  item.quantity === 1 ? item.description : `${item.quantity} \u00d7 ${item.description}`;

/**
 * The lines Stripe puts on the invoice of a change made now with `proration_behavior:
 * always_invoice`: for every item that changes, "Unused time on <old> after <date>" credits the
 * old price for the rest of the period and "Remaining time on <new> after <date>" charges the
 * new one, each prorated by the second and rounded to the cent. A trial prorates nothing.
 */
export function prorationLines(account: BillingAccount, plan: Plan, seats: number, now: Date): InvoiceLine[] {
  if (account.status === 'trialing') return [];
  const start = account.currentPeriodStart.getTime();
  const end = account.currentPeriodEnd.getTime();
  const at = Math.min(Math.max(now.getTime(), start), end);
  if (end <= start || at >= end) return [];
  const fraction = Math.floor((end - at) / 1000) / Math.floor((end - start) / 1000);
  const before = itemsOf(getPlan(account.planId), account.seats);
  const after = itemsOf(plan, seats);
  const date = stripeDate(new Date(at));
  const lines: InvoiceLine[] = [];
  for (const [index, old] of before.entries()) {
    const next = after[index]!;
    if (old.description === next.description && old.unitCents === next.unitCents && old.quantity === next.quantity)
      continue;
    if (old.quantity > 0 && old.unitCents > 0)
      lines.push({
        description: `Unused time on ${label(old)} after ${date}`,
        amountCents: -Math.round(old.unitCents * old.quantity * fraction),
        proration: true,
      });
    if (next.quantity > 0 && next.unitCents > 0)
      lines.push({
        description: `Remaining time on ${label(next)} after ${date}`,
        amountCents: Math.round(next.unitCents * next.quantity * fraction),
        proration: true,
      });
  }
  return lines;
}
