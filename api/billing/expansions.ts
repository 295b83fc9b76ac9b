import type { Knex } from 'knex';
import type { JsonObject } from '../../engine/json.js';
import type { BillingAccount } from './accounts.js';
import type { BillingOutbox } from './outbox.js';
import {
  cheapestPlanWith,
  featureTitle,
  getMeter,
  getPlan,
  nextPlanFor,
  plans,
  planRank,
  type FeatureId,
  type Plan,
  type PlanId,
} from './plans.js';
import type { ThresholdCrossing } from './usage.js';

export type ExpansionKind = 'add_seats' | 'upgrade_tier' | 'add_feature';

/** A chance to sell more, as stored and as the `billing.expansion_opportunity` event carries it. */
export interface ExpansionOpportunity {
  id: string;
  workspaceId: string;
  kind: ExpansionKind;
  reason: string;
  currentPlan: PlanId;
  suggestedPlan: PlanId | null;
  /** What the workspace pays per month now (plan + extra seats), in cents. */
  currentValueCents: number;
  /** What it would pay per month after the expansion. */
  potentialValueCents: number;
  data: JsonObject;
  createdAt: string;
}

interface ExpansionRow {
  id: string;
  workspace_id: string;
  kind: ExpansionKind;
  reason: string;
  current_plan: PlanId;
  suggested_plan: PlanId | null;
  current_value_cents: string;
  potential_value_cents: string;
  data: JsonObject;
  created_at: Date;
}

/** The owners' emails of a workspace: billing events carry them so workflows can write to them. */
export async function ownerEmails(knex: Knex, workspaceId: string): Promise<string[]> {
  const rows = await knex('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.workspace_id': workspaceId, 'm.role': 'owner' })
    .orderBy('m.created_at')
    .select<Array<{ email: string }>>('u.email');
  return rows.map((row) => row.email);
}

/** Monthly value of a subscription: the plan's price plus its extra seats. */
export function monthlyValueCents(plan: Plan, seats: number): number {
  const extra = Math.max(0, seats - plan.includedSeats);
  return plan.priceMonthlyCents + extra * (plan.extraSeatPriceCents ?? 0);
}

function present(row: ExpansionRow): ExpansionOpportunity {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    kind: row.kind,
    reason: row.reason,
    currentPlan: row.current_plan,
    suggestedPlan: row.suggested_plan,
    currentValueCents: Number(row.current_value_cents),
    potentialValueCents: Number(row.potential_value_cents),
    data: row.data,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Expansion opportunities: a quota past 80%, seats full with invitations waiting, a gated
 * feature tried. Each has a stable id, is stored once, and is emitted once as the product
 * event `billing.expansion_opportunity` (through the outbox) so workflows can act on it.
 */
export class Expansions {
  constructor(
    private readonly knex: Knex,
    private readonly outbox: BillingOutbox,
  ) {}

  async list(workspaceId: string, limit = 50): Promise<ExpansionOpportunity[]> {
    const rows = await this.knex<ExpansionRow>('billing_expansions')
      .where({ workspace_id: workspaceId })
      .orderBy('created_at', 'desc')
      .limit(limit);
    return rows.map(present);
  }

  /** A quota passed 80% of its limit this period: offer the next tier. */
  async quotaThreshold(crossing: ThresholdCrossing): Promise<ExpansionOpportunity | undefined> {
    const { account, meter, used, limit, period } = crossing;
    const current = getPlan(account.planId);
    const effective = getPlan(crossing.planId);
    const target = nextPlanFor(effective.id, meter);
    if (!target) return undefined;
    const unit = getMeter(meter).unit;
    // Reaching the whole quota is a second, stronger signal than 80%: its own opportunity.
    const full = used >= limit ? ':full' : '';
    return this.create({
      id: `upgrade_tier:${account.workspaceId}:${meter}:${period.start.toISOString()}${full}`,
      workspaceId: account.workspaceId,
      kind: 'upgrade_tier',
      reason: `${Math.round((used / limit) * 100)}% of the ${effective.title} plan's ${limit.toLocaleString('en-US')} ${unit} used this period`,
      current,
      seats: account.seats,
      target,
      data: {
        meter,
        used,
        limit,
        periodStart: period.start.toISOString(),
        periodEnd: period.end.toISOString(),
      },
    });
  }

  /** Seats are all taken and people are still invited: offer seats (or a plan with more). */
  async seatsFull(
    account: BillingAccount,
    usage: { members: number; pendingInvitations: number; limit: number },
  ): Promise<ExpansionOpportunity | undefined> {
    const current = getPlan(account.planId);
    const wanted = usage.members + usage.pendingInvitations + 1;
    const base = {
      id: `add_seats:${account.workspaceId}:${account.planId}:${usage.limit}`,
      workspaceId: account.workspaceId,
      current,
      seats: account.seats,
      data: { ...usage, seatsWanted: wanted },
    };
    if (current.extraSeatPriceCents !== null) {
      return this.create({
        ...base,
        kind: 'add_seats',
        reason: `All ${usage.limit} seats are taken and ${usage.pendingInvitations} invitation(s) are pending`,
        target: current,
        targetSeats: wanted,
      });
    }
    const target = plans.find(
      (plan) => planRank(plan.id) > planRank(current.id) && plan.includedSeats >= wanted,
    );
    if (!target) return undefined;
    return this.create({
      ...base,
      kind: 'add_seats',
      reason: `All ${usage.limit} seats of the ${current.title} plan are taken and ${usage.pendingInvitations} invitation(s) are pending; ${target.title} includes ${target.includedSeats}`,
      target,
    });
  }

  /** Someone tried a feature the plan does not have (a gated node at publish). */
  async featureTried(
    account: BillingAccount,
    effectivePlanId: PlanId,
    feature: FeatureId,
    detail: JsonObject,
  ): Promise<ExpansionOpportunity | undefined> {
    const target = cheapestPlanWith(feature);
    if (!target) return undefined;
    return this.create({
      id: `add_feature:${account.workspaceId}:${feature}:${effectivePlanId}`,
      workspaceId: account.workspaceId,
      kind: 'add_feature',
      reason: `${featureTitle(feature)} was tried on the ${getPlan(effectivePlanId).title} plan; it comes with ${target.title}`,
      current: getPlan(account.planId),
      seats: account.seats,
      target,
      data: { feature, ...detail },
    });
  }

  private async create(input: {
    id: string;
    workspaceId: string;
    kind: ExpansionKind;
    reason: string;
    current: Plan;
    seats: number;
    target: Plan;
    targetSeats?: number;
    data: JsonObject;
  }): Promise<ExpansionOpportunity | undefined> {
    const currentValue = monthlyValueCents(input.current, input.seats);
    const potentialValue = monthlyValueCents(
      input.target,
      Math.max(input.targetSeats ?? input.seats, input.target.includedSeats),
    );
    const owners = await ownerEmails(this.knex, input.workspaceId);
    const created = await this.knex.transaction(async (trx) => {
      const [row] = await trx<ExpansionRow>('billing_expansions')
        .insert({
          id: input.id,
          workspace_id: input.workspaceId,
          kind: input.kind,
          reason: input.reason,
          current_plan: input.current.id,
          suggested_plan: input.target.id,
          current_value_cents: String(currentValue),
          potential_value_cents: String(potentialValue),
          data: input.data,
        })
        .onConflict('id')
        .ignore()
        .returning('*');
      if (!row) return undefined;
      const opportunity = present(row);
      await this.outbox.enqueue(
        {
          workspaceId: input.workspaceId,
          eventId: `billing.expansion_opportunity:${input.id}`,
          name: 'billing.expansion_opportunity',
          data: {
            opportunityId: opportunity.id,
            kind: opportunity.kind,
            reason: opportunity.reason,
            currentPlan: opportunity.currentPlan,
            suggestedPlan: opportunity.suggestedPlan,
            currentValueCents: opportunity.currentValueCents,
            potentialValueCents: opportunity.potentialValueCents,
            ...opportunity.data,
            owners,
          },
        },
        trx,
      );
      return opportunity;
    });
    if (created) this.outbox.flushSoon();
    return created;
  }
}
