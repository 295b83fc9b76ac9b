import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { invalidInput } from '../../engine/errors.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { seatUsage } from './seats.js';
import { billingMode } from './settings.js';
import { effectivePlan, inTrial, periodContaining } from './accounts.js';
import { billingFor } from './hub.js';
import { features, getPlan, meterIdSchema, meters, plans } from './plans.js';
import { overageAllowed, UsageRejected } from './usage.js';

const params = z.object({ workspaceId: z.uuid() });

const meterUsageSchema = z
  .object({
    meter: meterIdSchema,
    title: z.string(),
    unit: z.string(),
    aggregation: z.string(),
    used: z.number(),
    limit: z.number().nullable().describe('null: unlimited'),
    periodStart: z.string(),
    periodEnd: z.string(),
    overage: z.number().describe('Used beyond the limit on a plan that bills overage'),
  })
  .meta({ id: 'MeterUsage' });

const planSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    priceMonthlyCents: z.number().int(),
    quotas: z.record(z.string(), z.number().nullable()),
    features: z.array(z.string()),
    includedSeats: z.number().int(),
    extraSeatPriceCents: z.number().int().nullable(),
    overage: z.object({ allowed: z.boolean() }).passthrough(),
  })
  .meta({ id: 'Plan' });

const billingOverviewSchema = z
  .object({
    workspaceId: z.uuid(),
    mode: z
      .enum(['local', 'stripe'])
      .describe("'stripe' when STRIPE_SECRET_KEY is set; local: nothing is charged"),
    plan: z.string().describe('The plan subscribed to'),
    effectivePlan: z
      .string()
      .describe('The plan whose limits and features apply now (a trial’s while it runs)'),
    status: z.string(),
    trialEndsAt: z.string().nullable(),
    trialDaysLeft: z.number().int().nullable(),
    currentPeriod: z.object({ start: z.string(), end: z.string() }),
    seats: z.object({
      used: z.number().int().describe('Members plus pending invitations'),
      members: z.number().int(),
      pendingInvitations: z.number().int(),
      included: z.number().int(),
      purchased: z.number().int(),
      limit: z.number().int(),
    }),
    usage: z.array(meterUsageSchema),
    plans: z.array(planSchema),
    features: z.array(z.object({ id: z.string(), title: z.string() })),
  })
  .meta({ id: 'BillingOverview' });

const usageReportSchema = z
  .object({ periodStart: z.string(), periodEnd: z.string(), meters: z.array(meterUsageSchema) })
  .meta({ id: 'UsageReport' });

const recordUsageSchema = z.object({
  meter: meterIdSchema
    .exclude(['workflow_runs'])
    .describe('What was used (workflow runs are counted by themselves)'),
  quantity: z.number().int().min(0).max(1_000_000_000).default(1),
  idempotencyKey: z
    .string()
    .min(1)
    .max(300)
    .describe('A repeat of this key is accepted and not counted again'),
  occurredAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When it happened; late events within the grace period land in their own period'),
  subject: z.string().min(1).max(500).optional().describe('What unique-count meters count (a lead’s email)'),
});

const recordResultSchema = z
  .object({
    counted: z.boolean(),
    occurredAt: z.string(),
    quota: z.object({
      ok: z.boolean(),
      used: z.number(),
      limit: z.number().nullable(),
      overage: z.boolean(),
      message: z.string().optional(),
    }),
  })
  .meta({ id: 'UsageRecorded' });

const expansionSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['add_seats', 'upgrade_tier', 'add_feature']),
    reason: z.string(),
    currentPlan: z.string(),
    suggestedPlan: z.string().nullable(),
    currentValueCents: z.number(),
    potentialValueCents: z.number(),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .meta({ id: 'ExpansionOpportunity' });

/** A usage field refused by the meter is a field of this request's body. */
function inBody(error: unknown): unknown {
  return error instanceof UsageRejected
    ? invalidInput(`body.${error.field}`, error.message, 'validation')
    : error;
}

/** The Billing & Usage API (local side; Stripe's routes live in stripe-routes.ts). */
export function billingRoutes({ knex }: ApiContext): AnyRoute[] {
  const billing = billingFor(knex);
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/billing',
      summary: 'The billing overview: plan, status, trial, seats, usage per meter, the plans',
      description: 'Owners and admins only.',
      tags: ['billing'],
      auth: { workspaceRole: 'admin' },
      params,
      responses: {
        200: { description: 'The overview', schema: billingOverviewSchema },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace }) => {
        const scope = workspaceScope(workspace);
        const account = await billing.accounts.get(scope.id);
        const now = new Date();
        const [usage, seats] = await Promise.all([
          billing.usage.usage(scope.id),
          seatUsage(knex, { id: scope.id, plan: account.planId }),
        ]);
        if (seats.pendingInvitations > 0 && seats.members + seats.pendingInvitations >= seats.limit) {
          await billing.expansions.seatsFull(account, seats);
        }
        const trialing = inTrial(account, now);
        return {
          status: 200,
          body: {
            workspaceId: scope.id,
            mode: billingMode(),
            plan: account.planId,
            effectivePlan: effectivePlan(account, now),
            status: account.status,
            trialEndsAt: account.trialEndsAt?.toISOString() ?? null,
            trialDaysLeft:
              trialing && account.trialEndsAt
                ? Math.ceil((account.trialEndsAt.getTime() - now.getTime()) / 86_400_000)
                : null,
            currentPeriod: {
              start: account.currentPeriodStart.toISOString(),
              end: account.currentPeriodEnd.toISOString(),
            },
            seats: {
              used: seats.members + seats.pendingInvitations,
              members: seats.members,
              pendingInvitations: seats.pendingInvitations,
              included: getPlan(account.planId).includedSeats,
              purchased: account.seats,
              limit: seats.limit,
            },
            usage,
            plans,
            features,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/billing/usage',
      summary: 'Usage per meter of a billing period (default: the current one)',
      tags: ['billing'],
      auth: { workspaceRole: 'member' },
      params,
      query: z.object({
        at: z.iso
          .datetime({ offset: true })
          .optional()
          .describe('A moment in the period wanted (e.g. last month); default: now'),
      }),
      responses: {
        200: { description: 'Usage of the period', schema: usageReportSchema },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ workspace, query }) => {
        const scope = workspaceScope(workspace);
        const account = await billing.accounts.get(scope.id);
        const current = { start: account.currentPeriodStart, end: account.currentPeriodEnd };
        const period = query.at ? periodContaining(account.currentPeriodStart, new Date(query.at)) : current;
        const plan = getPlan(effectivePlan(account));
        const limits = plan.quotas;
        const totals = await billing.usage.totals(scope.id, period);
        return {
          status: 200,
          body: {
            periodStart: period.start.toISOString(),
            periodEnd: period.end.toISOString(),
            meters: meters.map((meter) => ({
              meter: meter.id,
              title: meter.title,
              unit: meter.unit,
              aggregation: meter.aggregation,
              used: totals[meter.id],
              limit: limits[meter.id] ?? null,
              periodStart: period.start.toISOString(),
              periodEnd: period.end.toISOString(),
              overage:
                limits[meter.id] != null && overageAllowed(plan, meter.id)
                  ? Math.max(0, totals[meter.id] - (limits[meter.id] ?? 0))
                  : 0,
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/billing/usage',
      summary: 'Record usage (idempotent per key)',
      description:
        'Answers 201 when counted, 200 when the key was seen before (accepted, not counted again). Events later ' +
        'than the grace period (REVFLOW_USAGE_GRACE_HOURS, default 48) are refused with 400 naming `occurredAt`.',
      tags: ['billing'],
      auth: { workspaceRole: 'member' },
      params,
      body: recordUsageSchema,
      responses: {
        201: { description: 'Counted', schema: recordResultSchema },
        200: { description: 'A repeated key: not counted again', schema: recordResultSchema },
        ...problemResponses(400, 401, 402, 403, 404),
      },
      handler: async ({ workspace, body }) => {
        const scope = workspaceScope(workspace);
        try {
          // Past a hard limit (a plan without overage) it is refused with 402 and nothing is
          // counted, as billing.checkQuota says; plans with overage count it as overage.
          const result = await billing.usage.record(
            scope.id,
            {
              meter: body.meter,
              quantity: body.quantity,
              idempotencyKey: body.idempotencyKey,
              source: 'api',
              ...(body.occurredAt !== undefined && { occurredAt: body.occurredAt }),
              ...(body.subject !== undefined && { subject: body.subject }),
            },
            { enforce: true },
          );
          const quota = await billing.usage.evaluate(scope.id, body.meter, 0);
          return {
            status: result.counted ? 201 : 200,
            body: {
              ...result,
              quota: {
                ok: quota.ok,
                used: quota.used,
                limit: quota.limit,
                overage: quota.overage,
                ...(quota.message !== undefined && { message: quota.message }),
              },
            },
          };
        } catch (error) {
          throw inBody(error);
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/billing/expansions',
      summary: 'Expansion opportunities found for this workspace, newest first',
      tags: ['billing'],
      auth: { workspaceRole: 'admin' },
      params,
      responses: {
        200: { description: 'Opportunities', schema: z.object({ items: z.array(expansionSchema) }) },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace }) => ({
        status: 200,
        body: { items: await billing.expansions.list(workspaceScope(workspace).id) },
      }),
    }),
  ];
}
