/** Billing as nodes reach it: usage, quotas and plan changes (`api/billing` implements it). */

/** A quota as the billing nodes see it (billing.checkQuota's output). */
export interface QuotaStatus {
  ok: boolean;
  meter: string;
  /** The plan whose limits apply now (a trial's plan while it runs). */
  planId: string;
  used: number;
  /** Null: unlimited. */
  limit: number | null;
  remaining: number | null;
  /** Over the limit on a plan that bills overage instead of refusing. */
  overage: boolean;
  /** Set when not ok: names the limit, the plan and the plan that has more. */
  message?: string;
}

/**
 * Billing as nodes reach it (issue 6): usage metering and quotas of the run's workspace.
 * `api/billing` implements it. Errors carry `code` (`usage_rejected`, `quota_exceeded`) and,
 * for bad input, `field` (`meter`, `quantity`, `occurredAt`, `idempotencyKey`).
 * A future AI node meters each generation with `recordUsage(ws, { meter: 'ai_generations', ... })`.
 */
export interface BillingService {
  /** Record usage once per key; `counted` is false for a repeat. Over a hard limit: throws quota_exceeded. */
  recordUsage(
    workspaceId: string,
    usage: {
      meter: string;
      quantity: number;
      idempotencyKey: string;
      subject?: string;
      occurredAt?: string;
      /** Refuse (quota_exceeded) instead of recording when it would pass a hard limit. */
      enforce: boolean;
    },
  ): Promise<{ counted: boolean; quota: QuotaStatus }>;
  checkQuota(workspaceId: string, meter: string, quantity: number): Promise<QuotaStatus>;
}

/** What a billing change answers (issue 6): the workspace's billing account after it. */
export interface BillingChangeResult {
  mode: 'stripe' | 'local';
  account: { planId: string; status: string; seats: number; stripeSubscriptionId: string | null };
}

/** Who changed billing through a node: the version's publisher, and the run and node that did it. */
export interface BillingChangeSource {
  actor: { userId: string | null; apiKeyId: string | null };
  runId: string;
  workflowId: string;
  nodeId: string;
}

/** The source of a change made by a node step (its publisher was checked before it ran). */
export function changeSourceOf(ctx: {
  publisher?: { userId: string | null; apiKeyId: string | null };
  run: { id: string; workflowId: string };
  node: { id: string };
}): BillingChangeSource {
  return {
    actor: { userId: ctx.publisher?.userId ?? null, apiKeyId: ctx.publisher?.apiKeyId ?? null },
    runId: ctx.run.id,
    workflowId: ctx.run.workflowId,
    nodeId: ctx.node.id,
  };
}

/**
 * Plan, seat and checkout changes of a workspace: through Stripe when STRIPE_SECRET_KEY is set,
 * else on the local billing account. `idempotencyKey` (the step's) is passed to Stripe. Errors
 * carry `code` ('config', 'local_mode', 'no_subscription', 'seats_in_use', 'stripe') and, when a
 * config value is at fault, `field`.
 */
export interface BillingChangeService {
  readonly mode: 'stripe' | 'local';
  /** Changes write the `billing.change` audit entry the route writes, with `by` as the actor. */
  changeSeats(
    workspaceId: string,
    seats: number,
    idempotencyKey: string,
    by: BillingChangeSource,
  ): Promise<BillingChangeResult>;
  changePlan(
    workspaceId: string,
    change: { planId: string; seats?: number },
    idempotencyKey: string,
    by: BillingChangeSource,
  ): Promise<BillingChangeResult>;
  checkoutLink(
    workspaceId: string,
    request: { planId: string; seats?: number; successUrl?: string; cancelUrl?: string },
    idempotencyKey: string,
  ): Promise<{ url: string; sessionId: string }>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    billing?: BillingService;
    billingChanges?: BillingChangeService;
  }
}
