import type { BillingAccounts } from './accounts.js';
import { localModeError } from './errors.js';
import {
  LOCAL_MODE_DETAIL,
  summarize,
  type BillingPreview,
  type BillingProvider,
  type ChangeResult,
  type CheckoutSession,
  type InvoiceSummary,
} from './provider.js';

/**
 * Billing without Stripe (no STRIPE_SECRET_KEY): plans and seats change on the local billing
 * account, previews show the catalogue price, nothing is charged, and there is no checkout,
 * portal or invoice.
 */
export class LocalBillingProvider implements BillingProvider {
  readonly mode = 'local' as const;

  constructor(private readonly accounts: BillingAccounts) {}

  async preview(
    ...[account, target, figures]: Parameters<BillingProvider['preview']>
  ): Promise<BillingPreview> {
    return {
      mode: 'local',
      currency: 'usd',
      ...figures,
      amountDueNowCents: 0,
      nowLines: [],
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
