import type { Knex } from 'knex';
import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute, type RouteAuth } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { activation } from './activation.js';
import { detectorFor } from './detector.js';
import { lifecycle, retentionGrid } from './retention.js';
import { revenue } from './revenue.js';
import {
  activationQuery,
  DEFAULT_ACTIVATION,
  lifecycleQuery,
  PLATFORM_ACTIVE_EVENTS,
  PLATFORM_SIGNUP_EVENT,
  retentionQuery,
  revenueQuery,
  type Scope,
} from './scope.js';
import { invalidInput } from '../../engine/errors.js';

const result = z.looseObject({}).meta({ id: 'AnalyticsResult' });

/** The churn-risk list: the stored scores, highest first. */
async function churnList(knex: Knex, workspaceIds: string[] | null): Promise<unknown[]> {
  const rows = await knex('analytics_churn as c')
    .join('workspaces as w', 'w.id', 'c.workspace_id')
    .join('billing_accounts as b', 'b.workspace_id', 'c.workspace_id')
    .modify((builder) => {
      if (workspaceIds) void builder.whereIn('c.workspace_id', workspaceIds);
    })
    .orderBy([{ column: 'c.score', order: 'desc' }, { column: 'w.name' }])
    .limit(200)
    .select<
      Array<{ workspace_id: string; name: string; plan_id: string; status: string; score: number; reasons: unknown; high: boolean; computed_at: Date }>
    >('c.workspace_id', 'w.name', 'b.plan_id', 'b.status', 'c.score', 'c.reasons', 'c.high', 'c.computed_at');
  return rows.map((row) => ({
    workspaceId: row.workspace_id,
    workspaceName: row.name,
    plan: row.plan_id,
    status: row.status,
    score: row.score,
    high: row.high,
    reasons: row.reasons,
    computedAt: new Date(row.computed_at).toISOString(),
  }));
}

function need(names: string[] | undefined, field: string, source: 'platform' | 'custom', fallback: string[]): string[] {
  if (names && names.length > 0) return names;
  if (source === 'custom') throw invalidInput(`query.${field}`, `name the events of your own product in ${field}`);
  return fallback;
}

/**
 * Growth analytics (issue 15). The same queries serve two audiences: a workspace owner sees
 * their own workspace (`/workspaces/:id/analytics/...`: its users, or with `source=custom` the
 * events it posts about its own customers), an instance admin every workspace
 * (`/admin/analytics/...`, accounts = workspaces).
 */
export function analyticsRoutes(ctx: ApiContext): AnyRoute[] {
  const { knex } = ctx;
  const variants: Array<{
    prefix: string;
    auth: RouteAuth;
    params?: z.ZodType<{ workspaceId?: string }>;
    scope: (workspace: { id: string } | null) => string[] | null;
    level: 'user' | 'account';
  }> = [
    {
      prefix: '/api/v1/workspaces/:workspaceId/analytics',
      auth: { workspaceRole: 'owner' },
      params: z.object({ workspaceId: z.uuid() }),
      scope: (workspace) => [workspace?.id ?? workspaceScope(null).id],
      level: 'user',
    },
    { prefix: '/api/v1/admin/analytics', auth: 'instanceAdmin', scope: () => null, level: 'account' },
  ];
  const routes: AnyRoute[] = [];
  for (const variant of variants) {
    const who = variant.auth === 'instanceAdmin' ? 'every workspace (instance admins)' : 'this workspace (owners)';
    const errors = problemResponses(400, 401, 403, 404);
    const scopeOf = (
      workspace: { id: string } | null,
      query: { source: 'platform' | 'custom'; level?: 'user' | 'account' | undefined },
    ): Scope => ({ workspaceIds: variant.scope(workspace), source: query.source, level: query.level ?? variant.level });
    const base = { tags: ['analytics'], auth: variant.auth, ...(variant.params ? { params: variant.params } : {}) };
    routes.push(
      defineRoute({
        ...base,
        method: 'get',
        path: `${variant.prefix}/activation`,
        summary: `Activation funnel, rate within N days of signup, time to each milestone: ${who}`,
        description: `Activated = every milestone of the definition within \`days\` of signup (default ${DEFAULT_ACTIVATION.join(', ')} within 14 days).`,
        query: activationQuery,
        responses: { 200: { description: 'Activation', schema: result }, ...errors },
        handler: async ({ workspace, query }) => {
          if (query.source === 'custom' && (query.steps?.length ?? 0) < 2)
            throw invalidInput('query.steps', 'name at least two funnel steps (the first is signup)');
          return {
            status: 200,
            body: await activation(knex, scopeOf(workspace, query), {
              milestones: query.milestones ?? [...DEFAULT_ACTIVATION],
              days: query.days,
              unit: query.unit,
              ...(query.steps ? { steps: query.steps } : {}),
            }),
          };
        },
      }),
      defineRoute({
        ...base,
        method: 'get',
        path: `${variant.prefix}/retention`,
        summary: `Retention cohort grid (first-time cohorts, "on" or "on or after"): ${who}`,
        query: retentionQuery,
        responses: { 200: { description: 'The cohort grid', schema: result }, ...errors },
        handler: async ({ workspace, query }) => ({
          status: 200,
          body: await retentionGrid(knex, scopeOf(workspace, query), {
            unit: query.unit,
            periods: query.periods,
            mode: query.mode,
            startEvents: need(query.startEvents, 'startEvents', query.source, [PLATFORM_SIGNUP_EVENT]),
            returnEvents: need(query.returnEvents, 'returnEvents', query.source, PLATFORM_ACTIVE_EVENTS),
            to: query.to ? new Date(query.to) : new Date(),
          }),
        }),
      }),
      defineRoute({
        ...base,
        method: 'get',
        path: `${variant.prefix}/lifecycle`,
        summary: `Lifecycle per interval (new, returning, resurrecting, dormant): ${who}`,
        query: lifecycleQuery,
        responses: { 200: { description: 'The intervals', schema: result }, ...errors },
        handler: async ({ workspace, query }) => {
          const activeEvents = need(query.activeEvents, 'activeEvents', query.source, PLATFORM_ACTIVE_EVENTS);
          return {
            status: 200,
            body: {
              unit: query.unit,
              intervals: await lifecycle(knex, scopeOf(workspace, query), {
                unit: query.unit,
                periods: query.periods,
                activeEvents,
                createdEvents: query.source === 'platform' ? [PLATFORM_SIGNUP_EVENT] : 'any',
                to: query.to ? new Date(query.to) : new Date(),
              }),
            },
          };
        },
      }),
      defineRoute({
        ...base,
        method: 'get',
        path: `${variant.prefix}/revenue`,
        summary: `MRR movements, NRR and GRR, cohort NRR, expansion opportunities: ${who}`,
        query: revenueQuery,
        responses: { 200: { description: 'Revenue', schema: result }, ...errors },
        handler: async ({ workspace, query }) => ({
          status: 200,
          body: await revenue(knex, variant.scope(workspace), {
            months: query.months,
            to: query.to ? new Date(query.to) : new Date(),
          }),
        }),
      }),
      defineRoute({
        ...base,
        method: 'get',
        path: `${variant.prefix}/churn-risk`,
        summary: `Churn risk 0–100 with the top reasons: ${who}`,
        responses: {
          200: { description: 'Scores, highest first', schema: z.object({ items: z.array(result) }) },
          ...errors,
        },
        handler: async ({ workspace }) => ({
          status: 200,
          body: { items: await churnList(knex, variant.scope(workspace)) },
        }),
      }),
      defineRoute({
        ...base,
        method: 'post',
        path: `${variant.prefix}/refresh`,
        summary: 'Run the activity detector now (milestones, logins, activity, churn risk)',
        description: 'It also runs on an interval (REVFLOW_ANALYTICS_INTERVAL_MS); a run emits nothing twice.',
        responses: { 200: { description: 'What the run found', schema: result }, ...errors },
        handler: async () => ({ status: 200, body: await detectorFor(knex).run() }),
      }),
    );
  }
  return routes;
}
