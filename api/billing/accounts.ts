import type { Knex } from 'knex';
import { notFoundError } from '../../engine/errors.js';
import { billingInputError } from './errors.js';
import { billingSettings } from './settings.js';
import {
  DEFAULT_PLAN,
  getPlan,
  isPlanId,
  planRank,
  seatLimitFor,
  TRIAL_PLAN,
  type Plan,
  type PlanId,
} from './plans.js';

export const billingStatuses = [
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'incomplete',
  'free',
] as const;
export type BillingStatus = (typeof billingStatuses)[number];

/** A workspace's billing account: `billing_accounts` as the code sees it. */
export interface BillingAccount {
  workspaceId: string;
  /** The plan subscribed to (during a local trial: the plan it falls back to). */
  planId: PlanId;
  status: BillingStatus;
  /** Seats purchased (≥ the plan's included seats). */
  seats: number;
  trialEndsAt: Date | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  stripeStateAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface BillingAccountRow {
  workspace_id: string;
  plan_id: string;
  status: string;
  seats: number;
  trial_ends_at: Date | null;
  current_period_start: Date;
  current_period_end: Date;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_state_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface BillingAccountsOptions {
  /** REVFLOW_TRIAL_DAYS: days of the trial a new workspace starts with; 0 disables trials. */
  trialDays?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/** REVFLOW_TRIAL_DAYS (default 14); a bad value is a start-up error, not a silent default. */
export function trialDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return billingSettings(env).REVFLOW_TRIAL_DAYS;
}

export function presentAccount(row: BillingAccountRow): BillingAccount {
  return {
    workspaceId: row.workspace_id,
    planId: isPlanId(row.plan_id) ? row.plan_id : DEFAULT_PLAN,
    status: (billingStatuses as readonly string[]).includes(row.status)
      ? (row.status as BillingStatus)
      : 'free',
    seats: row.seats,
    trialEndsAt: row.trial_ends_at,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    stripeCustomerId: row.stripe_customer_id,
    stripeSubscriptionId: row.stripe_subscription_id,
    stripeStateAt: row.stripe_state_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `date` plus `months` calendar months (Jan 31 + 1 → Feb 28/29, as billing anchors do). */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

/** The monthly period anchored at `anchor` that contains `at`. */
export function periodContaining(anchor: Date, at: Date): { start: Date; end: Date } {
  let months =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  let start = addMonths(anchor, months);
  while (start > at) start = addMonths(anchor, --months);
  let end = addMonths(anchor, months + 1);
  while (end <= at) {
    start = end;
    end = addMonths(anchor, ++months + 1);
  }
  return { start, end };
}

/** True while a trial is running. */
export function inTrial(account: BillingAccount, now: Date = new Date()): boolean {
  return account.status === 'trialing' && account.trialEndsAt !== null && account.trialEndsAt > now;
}

/**
 * The plan whose quotas and features apply now. A running trial unlocks the trial plan (or
 * the subscribed one if bigger); a trial that ended without payment, a canceled, unpaid or
 * never-paid subscription fall back to Free. Nothing is deleted either way: only limits change.
 * `past_due` keeps its plan while Stripe retries the payment.
 */
export function effectivePlan(account: BillingAccount, now: Date = new Date()): PlanId {
  switch (account.status) {
    case 'trialing':
      if (!inTrial(account, now)) return DEFAULT_PLAN;
      return planRank(account.planId) > planRank(TRIAL_PLAN) ? account.planId : TRIAL_PLAN;
    case 'active':
    case 'past_due':
      return account.planId;
    case 'canceled':
    case 'unpaid':
    case 'incomplete':
    case 'free':
      return DEFAULT_PLAN;
  }
}

/** Seats the workspace may fill: those of the subscribed plan (a trial does not add seats). */
export function seatLimit(account: BillingAccount): number {
  return seatLimitFor(account.planId, account.seats);
}

/**
 * Billing accounts: one per workspace, made on first use (a workspace made before billing, or
 * by a path that does not know billing, still gets one). A new workspace on the Free plan
 * starts a trial of the trial plan for `trialDays`, counted from when the workspace was made.
 */
export class BillingAccounts {
  readonly trialDays: number;
  private readonly now: () => Date;

  constructor(
    private readonly knex: Knex,
    options: BillingAccountsOptions = {},
  ) {
    this.trialDays = options.trialDays ?? trialDaysFromEnv();
    this.now = options.now ?? (() => new Date());
  }

  async get(workspaceId: string, db: Knex | Knex.Transaction = this.knex): Promise<BillingAccount> {
    let row = await db<BillingAccountRow>('billing_accounts').where({ workspace_id: workspaceId }).first();
    row ??= await this.create(workspaceId, db);
    return this.rollPeriod(presentAccount(row), db);
  }

  /** Accounts for several workspaces, made where missing (the sweeper's first step). */
  async ensureAll(): Promise<number> {
    const missing = await this.knex('workspaces as w')
      .leftJoin('billing_accounts as b', 'b.workspace_id', 'w.id')
      .whereNull('b.workspace_id')
      .select<Array<{ id: string }>>('w.id')
      .limit(1000);
    for (const { id } of missing) await this.get(id);
    return missing.length;
  }

  /**
   * The local way to change plan, seats or status (no payment provider): the Billing page in
   * local mode, and the Stripe side's change route without STRIPE_SECRET_KEY. Choosing a plan
   * ends a trial. Extra seats bought beyond the included ones carry over to a plan that sells
   * them. Errors are 400s naming `planId`, `seats` or `status`.
   */
  async setPlan(
    workspaceId: string,
    change: { planId?: string; seats?: number; status?: BillingStatus },
  ): Promise<BillingAccount> {
    if (change.planId !== undefined && !isPlanId(change.planId))
      throw billingInputError('planId', `unknown plan "${change.planId}"`);
    if (change.status !== undefined && !billingStatuses.includes(change.status))
      throw billingInputError('status', `unknown status "${String(change.status)}"`);
    return this.knex.transaction(async (trx) => {
      await this.get(workspaceId, trx);
      const row = await trx<BillingAccountRow>('billing_accounts')
        .where({ workspace_id: workspaceId })
        .forUpdate()
        .first();
      if (!row) throw notFoundError('The billing account');
      const current = presentAccount(row);
      const planId = (change.planId as PlanId | undefined) ?? current.planId;
      const plan = getPlan(planId);
      const currentPlan = getPlan(current.planId);
      const seats = seatsForChange(plan, currentPlan, current.seats, change.seats);
      const status: BillingStatus =
        change.status ??
        (change.planId !== undefined
          ? planId === 'free'
            ? 'free'
            : 'active'
          : current.status === 'free' && planId !== 'free'
            ? 'active'
            : current.status);
      const [updated] = await trx<BillingAccountRow>('billing_accounts')
        .where({ workspace_id: workspaceId })
        .update({ plan_id: planId, seats, status, updated_at: this.now() })
        .returning('*');
      if (!updated) throw notFoundError('The billing account');
      return presentAccount(updated);
    });
  }

  private async create(workspaceId: string, db: Knex | Knex.Transaction): Promise<BillingAccountRow> {
    const workspace = await db('workspaces')
      .where({ id: workspaceId })
      .first<{ id: string; plan: string; created_at: Date } | undefined>('id', 'plan', 'created_at');
    if (!workspace) throw notFoundError('The workspace');
    const planId: PlanId = isPlanId(workspace.plan) ? workspace.plan : DEFAULT_PLAN;
    const trial = this.trialDays > 0 && planId === DEFAULT_PLAN;
    const start = workspace.created_at;
    const [inserted] = await db<BillingAccountRow>('billing_accounts')
      .insert({
        workspace_id: workspaceId,
        plan_id: planId,
        status: trial ? 'trialing' : planId === DEFAULT_PLAN ? 'free' : 'active',
        seats: getPlan(planId).includedSeats,
        trial_ends_at: trial ? new Date(start.getTime() + this.trialDays * DAY_MS) : null,
        current_period_start: start,
        current_period_end: addMonths(start, 1),
      })
      .onConflict('workspace_id')
      .ignore()
      .returning('*');
    if (inserted) return inserted;
    const raced = await db<BillingAccountRow>('billing_accounts')
      .where({ workspace_id: workspaceId })
      .first();
    if (!raced) throw new Error(`billing account of ${workspaceId} was neither made nor found`);
    return raced;
  }

  /** Local accounts move to the period that contains now; Stripe's periods come from Stripe. */
  private async rollPeriod(account: BillingAccount, db: Knex | Knex.Transaction): Promise<BillingAccount> {
    const now = this.now();
    if (account.stripeSubscriptionId !== null || account.currentPeriodEnd > now) return account;
    const period = periodContaining(account.currentPeriodStart, now);
    await db('billing_accounts')
      .where({ workspace_id: account.workspaceId, current_period_end: account.currentPeriodEnd })
      .update({ current_period_start: period.start, current_period_end: period.end, updated_at: now });
    return { ...account, currentPeriodStart: period.start, currentPeriodEnd: period.end };
  }
}

/**
 * The seats a plan change leaves: the seats asked for, checked against the plan (at least its
 * included seats, extra ones only where it sells them), or else the current extra seats carried
 * over to the new plan.
 */
export function seatsForChange(
  plan: Plan,
  currentPlan: Plan,
  currentSeats: number,
  requested: number | undefined,
): number {
  if (requested === undefined) {
    const extra = Math.max(0, currentSeats - currentPlan.includedSeats);
    return plan.includedSeats + (plan.extraSeatPriceCents === null ? 0 : extra);
  }
  if (!Number.isInteger(requested) || requested < 1)
    throw billingInputError('seats', 'a whole number of seats, at least 1');
  if (requested < plan.includedSeats)
    throw billingInputError(
      'seats',
      `the ${plan.title} plan includes ${plan.includedSeats} seats; buy at least that many`,
    );
  if (plan.extraSeatPriceCents === null && requested > plan.includedSeats)
    throw billingInputError(
      'seats',
      `the ${plan.title} plan has ${plan.includedSeats} seats and sells no extra seats; upgrade the plan instead`,
    );
  return requested;
}
