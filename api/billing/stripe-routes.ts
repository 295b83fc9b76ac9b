import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { DomainError } from '../../engine/errors.js';
import { badRequest, problemOf, ProblemError } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { planIdSchema } from './plans.js';
import { BillingActions } from './actions.js';
import { STRIPE_FAILURE } from './errors.js';
import { createStripeClient } from './stripe/client.js';
import { stripeSettingsFromEnv, type StripeSettings } from './stripe/config.js';

const params = z.object({ workspaceId: z.uuid() });
const base = '/api/v1/workspaces/:workspaceId/billing';

const changeSchema = z
  .object({
    planId: planIdSchema.optional().describe('The plan to move to; default: the current one'),
    seats: z.number().int().min(1).max(100_000).optional().describe('Seats in total; default: carried over'),
  })
  .refine((body) => body.planId !== undefined || body.seats !== undefined, {
    message: 'give planId, seats or both',
    path: ['planId'],
  });

const lineSchema = z.object({
  description: z.string().nullable(),
  amountCents: z.number().int(),
  proration: z.boolean(),
});
const planSeatsSchema = z.object({
  planId: planIdSchema,
  seats: z.number().int(),
  monthlyCents: z.number().int(),
});

const previewSchema = z
  .object({
    mode: z.enum(['stripe', 'local']),
    currency: z.string(),
    current: planSeatsSchema,
    proposed: planSeatsSchema,
    amountDueNowCents: z
      .number()
      .int()
      .describe('Charged when the change is made (prorations); 0 in local mode'),
    nowLines: z.array(lineSchema),
    nextInvoice: z.object({
      amountDueCents: z.number().int(),
      periodEnd: z.string().nullable(),
      lines: z.array(lineSchema),
    }),
    note: z.string().nullable(),
  })
  .meta({ id: 'BillingPreview' });

const accountSchema = z
  .object({
    workspaceId: z.uuid(),
    planId: planIdSchema,
    status: z.string(),
    seats: z.number().int(),
    trialEndsAt: z.string().nullable(),
    currentPeriodStart: z.string(),
    currentPeriodEnd: z.string(),
    stripeSubscriptionId: z.string().nullable(),
  })
  .meta({ id: 'BillingAccountSummary' });

const invoiceSchema = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    status: z.string().nullable(),
    currency: z.string(),
    amountDueCents: z.number().int(),
    amountPaidCents: z.number().int(),
    totalCents: z.number().int(),
    created: z.string(),
    periodStart: z.string().nullable(),
    periodEnd: z.string().nullable(),
    hostedInvoiceUrl: z.string().nullable(),
    invoicePdf: z.string().nullable(),
  })
  .meta({ id: 'BillingInvoice' });

const returnUrl = z
  .string()
  .max(2000)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'an http(s) URL');

/** The caller's Idempotency-Key (so a retried click changes Stripe once), or a fresh one. */
function idempotencyKeyOf(req: Request): string {
  const key = req.header('idempotency-key');
  if (key === undefined) return randomUUID();
  if (key.length === 0 || key.length > 200)
    throw badRequest('Idempotency-Key must be 1 to 200 characters', [
      { name: 'headers.idempotency-key', reason: 'length' },
    ]);
  return `${String(req.params.workspaceId)}:${key}`;
}

/** Stripe refused or failed: a bad gateway (502) naming Stripe's code, not our outage (503). */
async function viaStripe<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== STRIPE_FAILURE) throw error;
    const problem = problemOf(error);
    throw new ProblemError(502, 'Stripe error', problem.detail, problem.extra);
  }
}

/**
 * The Stripe side of the Billing & Usage API: proration preview, plan and seat change, Checkout,
 * the customer portal and invoices. Without STRIPE_SECRET_KEY (local mode) preview and change
 * work on the local billing account, checkout and portal answer 409, invoices are empty.
 */
export function stripeBillingRoutes(
  ctx: ApiContext,
  settings: StripeSettings = stripeSettingsFromEnv(),
): AnyRoute[] {
  const actions = new BillingActions(ctx.knex, createStripeClient(settings), ctx.publicUrl);
  return [
    defineRoute({
      method: 'post',
      path: `${base}/preview`,
      summary: 'Preview a plan or seat change: what is due now (prorations) and the next invoice',
      description:
        'Owners and admins. With Stripe: `invoices.createPreview` for the change made now (prorated, invoiced at ' +
        'once) and for the next regular invoice; a workspace without a subscription sees its first invoice. ' +
        'Local mode: the catalogue price, nothing charged. Seats may not go below members plus pending invitations (409).',
      tags: ['billing'],
      auth: { workspaceRole: 'admin' },
      params,
      body: changeSchema,
      responses: {
        200: { description: 'The preview', schema: previewSchema },
        ...problemResponses(400, 401, 403, 404, 409),
        502: { description: 'Stripe refused or failed' },
      },
      handler: async ({ workspace, body }) => ({
        status: 200,
        body: await viaStripe(actions.preview(workspaceScope(workspace).id, body)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/change`,
      summary: 'Change the plan or the seats (prorated by Stripe)',
      description:
        'Owners only: it changes what the workspace pays. With Stripe the subscription is updated with ' +
        '`proration_behavior: always_invoice` (moving to Free cancels it); a workspace without a subscription ' +
        'starts one with checkout (409 `no_subscription`). Local mode changes the billing account. Seats may not ' +
        'go below members plus pending invitations (409). Send `Idempotency-Key` to make a retry safe.',
      tags: ['billing'],
      auth: { workspaceRole: 'owner' },
      params,
      body: changeSchema,
      responses: {
        200: {
          description: 'The billing account after the change',
          schema: z.object({ mode: z.enum(['stripe', 'local']), account: accountSchema }),
        },
        ...problemResponses(400, 401, 403, 404, 409),
        502: { description: 'Stripe refused or failed' },
      },
      handler: async ({ req, workspace, principal, body }) => {
        const scope = workspaceScope(workspace);
        const before = await actions.store.get(scope.id);
        const result = await viaStripe(actions.change(scope.id, body, idempotencyKeyOf(req)));
        await audit(ctx.knex, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'billing.change',
          metadata: {
            mode: result.mode,
            from: { planId: before.planId, seats: before.seats },
            to: { planId: result.account.planId, seats: result.account.seats },
          },
        });
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/checkout`,
      summary: 'Start a Stripe Checkout for an upgrade; answers the URL to send the owner to',
      description:
        'Owners only. Creates a Checkout Session (mode subscription) with the plan, its seat price ' +
        '(quantity = seats) and its metered prices; the subscription is applied when Stripe sends ' +
        '`checkout.session.completed`. Local mode: 409 "billing runs in local mode".',
      tags: ['billing'],
      auth: { workspaceRole: 'owner' },
      params,
      body: z.object({
        planId: planIdSchema,
        seats: z.number().int().min(1).max(100_000).optional(),
        successUrl: returnUrl.optional().describe('Default: the Billing page'),
        cancelUrl: returnUrl.optional().describe('Default: the Billing page'),
      }),
      responses: {
        200: {
          description: 'The Checkout URL',
          schema: z.object({ url: z.string(), sessionId: z.string() }),
        },
        ...problemResponses(400, 401, 403, 404, 409),
        502: { description: 'Stripe refused or failed' },
      },
      handler: async ({ req, workspace, body }) => ({
        status: 200,
        body: await viaStripe(actions.checkout(workspaceScope(workspace).id, body, idempotencyKeyOf(req))),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/portal`,
      summary: "Open Stripe's customer portal (payment methods, billing details); answers its URL",
      description: 'Owners only: the portal shows and changes payment methods. Local mode: 409.',
      tags: ['billing'],
      auth: { workspaceRole: 'owner' },
      params,
      body: z.object({ returnUrl: returnUrl.optional().describe('Default: the Billing page') }),
      responses: {
        200: { description: 'The portal URL', schema: z.object({ url: z.string() }) },
        ...problemResponses(400, 401, 403, 404, 409),
        502: { description: 'Stripe refused or failed' },
      },
      handler: async ({ req, workspace, body }) => ({
        status: 200,
        body: await viaStripe(
          actions.portal(workspaceScope(workspace).id, body.returnUrl, idempotencyKeyOf(req)),
        ),
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${base}/invoices`,
      summary: 'Invoice history from Stripe, newest first',
      description: 'Owners and admins. Local mode (or no Stripe customer yet): an empty list.',
      tags: ['billing'],
      auth: { workspaceRole: 'admin' },
      params,
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(24) }),
      responses: {
        200: {
          description: 'Invoices',
          schema: z.object({ mode: z.enum(['stripe', 'local']), items: z.array(invoiceSchema) }),
        },
        ...problemResponses(400, 401, 403, 404),
        502: { description: 'Stripe refused or failed' },
      },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: {
          mode: actions.mode,
          items: await viaStripe(actions.invoices(workspaceScope(workspace).id, query.limit)),
        },
      }),
    }),
  ];
}
