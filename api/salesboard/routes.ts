import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DomainError } from '../../engine/errors.js';
import type { AiService } from '../../nodes/ai/service.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { cheapestPlanWith, getPlan } from '../billing/plans.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { buildBoard, type Board } from './board.js';

/** As the seed did: a board is computed at most every 5 minutes per workspace and period. */
export const SALESBOARD_CACHE_MS = 5 * 60_000;

const boardQuery = z.object({
  days: z.coerce.number().int().min(1).max(90).default(7).describe('The period: the last N days'),
  to: z.iso.datetime({ offset: true }).optional().describe('End of the period (default now)'),
  refresh: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true: compute again now instead of the cached board'),
});

const boardSchema = z.looseObject({}).meta({ id: 'Salesboard' });

/** A workspace's plan must include the AI Salesboard (Professional and up). */
async function assertSalesboard(ctx: ApiContext, workspaceId: string): Promise<void> {
  const account = await billingFor(ctx.knex).accounts.get(workspaceId);
  const planId = effectivePlan(account);
  if (getPlan(planId).features.includes('ai_salesboard')) return;
  const required = cheapestPlanWith('ai_salesboard');
  throw new DomainError(
    'quota',
    'feature_gated',
    `The AI Salesboard is not in the ${getPlan(planId).title} plan; upgrade to ${required?.title ?? 'Professional'} to use it`,
    undefined,
    { plan: planId, requiredPlan: required?.id ?? 'professional', feature: 'ai_salesboard' },
  );
}

/** The AI service, when the AI feature provides one and a model is configured (LLM_BASE_URL / LLM_MODEL). */
function aiLoader(ctx: ApiContext): () => Promise<AiService | undefined> {
  let loaded: Promise<AiService | undefined> | undefined;
  return () =>
    (loaded ??= (async () => {
      if (!process.env.LLM_BASE_URL && !process.env.LLM_MODEL) return undefined;
      const { createNodeServices } = await import('../services.js');
      return createNodeServices({ knex: ctx.knex, secrets: ctx.secrets }).ai;
    })().catch(() => undefined));
}

/** The AI Salesboard (issue 15): per rep and team, cached 5 minutes, with a refresh. */
export function salesboardRoutes(ctx: ApiContext): AnyRoute[] {
  const cache = new LRUCache<string, Board>({ max: 500, ttl: SALESBOARD_CACHE_MS });
  const ai = aiLoader(ctx);
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/salesboard',
      summary: 'The AI Salesboard: team overview, reps, funnel, insights and coaching',
      description:
        'Calls, emails, replies, meetings, pipeline and won value per rep over the last `days`, the funnel ' +
        'contacted → replied → meeting → won, response times, a performance score and rule-based insights. ' +
        `Cached ${SALESBOARD_CACHE_MS / 60_000} minutes (\`computedAt\`, \`cachedUntil\`); \`refresh=true\` computes it again. ` +
        'Needs the AI Salesboard feature (Professional and up): 402 otherwise.',
      tags: ['salesboard'],
      auth: { workspaceRole: 'member' },
      params: z.object({ workspaceId: z.uuid() }),
      query: boardQuery,
      responses: { 200: { description: 'The board', schema: boardSchema }, ...problemResponses(400, 401, 402, 403, 404) },
      handler: async ({ workspace, query }) => {
        const workspaceId = workspaceScope(workspace).id;
        await assertSalesboard(ctx, workspaceId);
        // Without `to`, the period ends now: the cache key is the period length only.
        const key = `${workspaceId}:${query.days}:${query.to ?? 'now'}`;
        let board = query.refresh ? undefined : cache.get(key);
        const cached = board !== undefined;
        if (!board) {
          board = await buildBoard(ctx.knex, workspaceId, {
            to: query.to ? new Date(query.to) : new Date(),
            days: query.days,
          }, { ai: await ai() });
          cache.set(key, board);
        }
        const cachedUntil = new Date(new Date(board.computedAt).getTime() + SALESBOARD_CACHE_MS).toISOString();
        return { status: 200, body: { ...board, cached, cachedUntil } };
      },
    }),
  ];
}
