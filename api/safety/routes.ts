import Papa from 'papaparse';
import type { Knex } from 'knex';
import { z } from 'zod';
import { DomainError } from '../../engine/errors.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { audit, auditSource } from '../audit/audit.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceParams } from '../workspaces/schemas.js';
import { decisionStats, searchDecisions } from './log.js';
import { policySchema } from './policy.js';
import { affectedSchema, affectedWorkflows, decisionSchema, present } from './views.js';
import { policyStoreFor, safetyEnabled } from './store.js';
import { recordConsent, suppress, unsuppress } from './suppression.js';

const base = '/api/v1/workspaces/:workspaceId/safety';
const problems = problemResponses(400, 401, 402, 403, 404);

async function requireSafety(knex: Knex, workspaceId: string): Promise<void> {
  if (await safetyEnabled(knex, workspaceId)) return;
  throw new DomainError(
    'quota',
    'feature_gated',
    'The AI Safety Console is part of the Enterprise plan; upgrade to use it',
    undefined,
    {
      feature: 'ai_safety',
      requiredPlan: 'enterprise',
    },
  );
}

const dateParam = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const decisionQuery = z.object({
  verdict: z.enum(['pass', 'fail']).optional(),
  check: z.enum(['pii', 'promptInjection', 'content', 'compliance', 'urls', 'policy']).optional(),
  runId: z.uuid().optional(),
  workflowId: z.uuid().optional(),
  entity: z
    .string()
    .regex(/^[a-z_.]{1,40}$/, 'an entity type such as email')
    .optional(),
  q: z.string().max(200).optional(),
  since: dateParam.optional(),
  until: dateParam.optional(),
  before: z.uuid().optional().describe('The last id of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** The AI Safety Console's API: policy, safety log, stats, suppression list (Enterprise). */
export function safetyRoutes(ctx: ApiContext): AnyRoute[] {
  const { knex } = ctx;
  const store = policyStoreFor(knex);
  const registry = (): NodeRegistry => ctx.bundle.registry;
  return [
    defineRoute({
      method: 'get',
      path: `${base}/status`,
      summary: 'Whether the plan includes AI Safety (any plan may ask)',
      tags: ['safety'],
      auth: { workspaceRole: 'viewer' },
      params: workspaceParams,
      responses: {
        200: {
          description: 'Status',
          schema: z.object({ enabled: z.boolean(), plan: z.string(), requiredPlan: z.string() }),
        },
        ...problems,
      },
      handler: async ({ workspace }) => {
        const account = await billingFor(knex).accounts.get(workspace!.id);
        return {
          status: 200,
          body: {
            enabled: await safetyEnabled(knex, workspace!.id),
            plan: effectivePlan(account),
            requiredPlan: 'enterprise',
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/policy`,
      summary: 'The workspace safety policy (members read it)',
      tags: ['safety'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      responses: {
        200: {
          description: 'The policy',
          schema: z.object({ policy: policySchema, version: z.number(), updatedAt: z.string().nullable() }),
        },
        ...problems,
      },
      handler: async ({ workspace }) => {
        await requireSafety(knex, workspace!.id);
        store.forget(workspace!.id);
        const state = await store.get(workspace!.id);
        return {
          status: 200,
          body: {
            policy: state.policy,
            version: state.version,
            updatedAt: state.updatedAt?.toISOString() ?? null,
          },
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${base}/policy`,
      summary: 'Set the safety policy (admins); lists the active workflows it now stops from sending',
      tags: ['safety'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: policySchema,
      responses: {
        200: {
          description: 'Saved',
          schema: z.object({ policy: policySchema, version: z.number(), affected: affectedSchema }),
        },
        ...problems,
      },
      handler: async ({ req, workspace, body, principal }) => {
        const workspaceId = workspace!.id;
        await requireSafety(knex, workspaceId);
        const before = (await store.get(workspaceId)).policy;
        const affected = await affectedWorkflows(knex, registry(), workspaceId, body);
        const version = await knex.transaction(async (trx) => {
          const saved = await store.put(workspaceId, body, principal?.userId ?? null, trx);
          await audit(trx, {
            workspaceId,
            ...auditSource(req, principal),
            action: 'safety.policy_update',
            target: { type: 'safety_policy', id: workspaceId },
            metadata: {
              version: saved,
              before,
              after: body,
              affectedWorkflows: affected.map((a) => a.workflowId),
            },
          });
          return saved;
        });
        store.forget(workspaceId);
        return { status: 200, body: { policy: body, version, affected } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/affected`,
      summary: 'Active workflows that break the current policy (their outbound steps are blocked)',
      tags: ['safety'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      responses: {
        200: { description: 'Workflows', schema: z.object({ items: affectedSchema }) },
        ...problems,
      },
      handler: async ({ workspace }) => {
        await requireSafety(knex, workspace!.id);
        const state = await store.get(workspace!.id);
        return {
          status: 200,
          body: { items: await affectedWorkflows(knex, registry(), workspace!.id, state.policy) },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/decisions`,
      summary: 'Search the safety log (newest first; page with `before`)',
      tags: ['safety'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      query: decisionQuery,
      responses: {
        200: {
          description: 'Decisions',
          schema: z.object({ items: z.array(decisionSchema), nextBefore: z.string().nullable() }),
        },
        ...problems,
      },
      handler: async ({ workspace, query }) => {
        await requireSafety(knex, workspace!.id);
        const rows = await searchDecisions(knex, workspace!.id, { ...query, limit: query.limit + 1 });
        const page = rows.slice(0, query.limit);
        return {
          status: 200,
          body: {
            items: page.map(present),
            nextBefore: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/decisions/export`,
      summary: 'Export the safety log as CSV or JSON (same filters as the search, up to 50 000 rows)',
      tags: ['safety'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      query: decisionQuery
        .omit({ limit: true, before: true })
        .extend({ format: z.enum(['csv', 'json']).default('csv') }),
      responses: { 200: { description: 'The file', contentType: 'text/csv' }, ...problems },
      handler: async ({ workspace, query, res }) => {
        await requireSafety(knex, workspace!.id);
        const rows = (await searchDecisions(knex, workspace!.id, { ...query, limit: 50_000 })).map(present);
        const name = `safety-log-${new Date().toISOString().slice(0, 10)}.${query.format}`;
        res.set('Content-Disposition', `attachment; filename="${name}"`);
        if (query.format === 'json') {
          res.status(200).json({ items: rows });
          return undefined;
        }
        const csv = Papa.unparse(
          rows.map((r) => ({
            ...r,
            entities: Object.entries(r.entities)
              .map(([k, v]) => `${k}:${v}`)
              .join(' '),
          })),
          // Cells starting with = + - @ are escaped: the file is safe to open in a spreadsheet.
          {
            escapeFormulae: true,
            columns: [
              'at',
              'id',
              'runId',
              'workflowId',
              'nodeId',
              'check',
              'verdict',
              'reason',
              'entities',
              'redactions',
            ],
          },
        );
        res.status(200).type('text/csv').send(csv);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/stats`,
      summary: 'Checks, blocks and redactions per day, by entity and by workflow',
      tags: ['safety'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      query: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }),
      responses: { 200: { description: 'Stats', schema: z.record(z.string(), z.unknown()) }, ...problems },
      handler: async ({ workspace, query }) => {
        await requireSafety(knex, workspace!.id);
        const since = new Date(Date.now() - query.days * 86_400_000);
        return { status: 200, body: await decisionStats(knex, workspace!.id, since) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/suppressions`,
      summary: 'Add an address to the suppression list (admins)',
      tags: ['safety'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: z.object({ email: z.email().max(320), reason: z.string().max(200).default('unsubscribed') }),
      responses: { 204: { description: 'Suppressed' }, ...problems },
      handler: async ({ req, workspace, body, principal }) => {
        await requireSafety(knex, workspace!.id);
        await knex.transaction(async (trx) => {
          await suppress(trx, workspace!.id, body.email, body.reason);
          await audit(trx, {
            workspaceId: workspace!.id,
            ...auditSource(req, principal),
            action: 'safety.suppress',
            metadata: { reason: body.reason },
          });
        });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/suppressions/:email`,
      summary: 'Remove an address from the suppression list (admins)',
      tags: ['safety'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams.extend({ email: z.email().max(320) }),
      responses: { 204: { description: 'Removed' }, ...problems },
      handler: async ({ req, workspace, params, principal }) => {
        await requireSafety(knex, workspace!.id);
        if (!(await unsuppress(knex, workspace!.id, params.email)))
          throw new DomainError('not_found', 'not_found', 'That address is not suppressed');
        await audit(knex, {
          workspaceId: workspace!.id,
          ...auditSource(req, principal),
          action: 'safety.unsuppress',
        });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/consents`,
      summary: 'Record that an address consented to marketing email (admins)',
      tags: ['safety'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: z.object({ email: z.email().max(320), source: z.string().min(1).max(200) }),
      responses: { 204: { description: 'Recorded' }, ...problems },
      handler: async ({ req, workspace, body, principal }) => {
        await requireSafety(knex, workspace!.id);
        await knex.transaction(async (trx) => {
          await recordConsent(trx, workspace!.id, body.email, body.source);
          await audit(trx, {
            workspaceId: workspace!.id,
            ...auditSource(req, principal),
            action: 'safety.consent',
            metadata: { source: body.source },
          });
        });
        return { status: 204 };
      },
    }),
  ];
}
