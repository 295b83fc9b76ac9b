import type { Knex } from 'knex';
import { DomainError } from '../../engine/errors.js';
import { countMembers } from '../workspaces/repository.js';
import { seatsForChange, type BillingAccount } from './accounts.js';
import { billingInputError } from './errors.js';
import { getPlan, isPlanId, seatLimitFor, type Plan, type PlanId } from './plans.js';

/**
 * What a billing provider does about plans, seats and payment. Two implement it: the local one
 * (no STRIPE_SECRET_KEY: the billing account changes here, nothing is charged) and Stripe's
 * (api/billing/stripe/provider.ts). `BillingActions` (actions.ts) checks a change once for both.
 */
export interface BillingProvider {
  readonly mode: 'stripe' | 'local';
  preview(account: BillingAccount, target: ChangeTarget, figures: PreviewFigures): Promise<BillingPreview>;
  change(account: BillingAccount, target: ChangeTarget, idempotencyKey: string): Promise<ChangeResult>;
  checkout(workspaceId: string, request: CheckoutRequest, idempotencyKey: string): Promise<CheckoutSession>;
  portal(
    workspaceId: string,
    returnUrl: string | undefined,
    idempotencyKey: string,
  ): Promise<{ url: string }>;
  invoices(workspaceId: string, limit: number): Promise<InvoiceSummary[]>;
}

export interface PlanChange {
  planId?: string;
  seats?: number;
}

/** A checked change: the plan and the seats the workspace will have. */
export interface ChangeTarget {
  plan: Plan;
  seats: number;
}

export interface CheckoutRequest {
  planId: string;
  seats?: number;
  successUrl?: string;
  cancelUrl?: string;
}

export interface CheckoutSession {
  url: string;
  sessionId: string;
}

export interface PlanSeats {
  planId: PlanId;
  seats: number;
  monthlyCents: number;
}

/** The catalogue figures of a preview, the same in both modes. */
export interface PreviewFigures {
  current: PlanSeats;
  proposed: PlanSeats;
}

export interface InvoiceLine {
  description: string | null;
  amountCents: number;
  proration: boolean;
}

export interface BillingPreview extends PreviewFigures {
  mode: 'stripe' | 'local';
  currency: string;
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

/** The plan and seats a change asks for, checked like BillingAccounts.setPlan plus occupancy. */
export async function resolveChange(
  knex: Knex,
  account: BillingAccount,
  change: PlanChange,
): Promise<ChangeTarget> {
  if (change.planId === undefined && change.seats === undefined)
    throw billingInputError('planId', 'give planId, seats or both');
  if (change.planId !== undefined && !isPlanId(change.planId))
    throw billingInputError('planId', `unknown plan "${change.planId}"`);
  const plan = getPlan(change.planId ?? account.planId);
  const seats = seatsForChange(plan, getPlan(account.planId), account.seats, change.seats);
  const taken = await seatsTaken(knex, account.workspaceId);
  const limit = seatLimitFor(plan.id, seats);
  const used = taken.members + taken.pending;
  if (limit < used) {
    throw new DomainError(
      'conflict',
      'seats_in_use',
      `${taken.members} member${taken.members === 1 ? '' : 's'} and ${taken.pending} pending invitation${taken.pending === 1 ? '' : 's'} ` +
        `take ${used} seats; the ${plan.title} plan with ${limit} seats is too small — remove members or revoke invitations first`,
      undefined,
      {
        invalidParams: [
          {
            name: change.seats !== undefined ? 'seats' : 'planId',
            reason: `at least ${used} seats are in use`,
          },
        ],
        seatsUsed: used,
      },
    );
  }
  return { plan, seats };
}

async function seatsTaken(knex: Knex, workspaceId: string): Promise<{ members: number; pending: number }> {
  const [members, pending] = await Promise.all([
    countMembers(knex, workspaceId),
    knex('invitations')
      .where({ workspace_id: workspaceId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .andWhere('expires_at', '>', knex.fn.now())
      .count<{ count: string }>('* as count')
      .first(),
  ]);
  return { members, pending: Number(pending?.count ?? 0) };
}
