import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';
import { envelopeJson, envelopeOf } from './envelope.js';

export const scoreLeadNode = defineNode({
  type: 'outbound.scoreLead',
  family: 'growth',
  title: 'Score lead',
  description: 'An ICP score 0–100 learned from replies, meetings and wins; routes to high, medium or low.',
  docs:
    "The workspace's lead-score model is an online logistic regression (FTRL-proximal steps, L2 towards a cold-start prior) over the lead's fields " +
    'and custom attributes, updated with every outcome (replied, meeting, won: positive; a finished ' +
    'sequence without a reply: negative). 50 is an average lead. The output carries the score and the top ' +
    'factors behind it. Retrain from history on the Leads page or with POST …/outbound/score/retrain.',
  icon: 'gauge',
  config: z
    .object({
      high: z.number().int().min(0).max(100).default(70).describe('Scores at or above go to `high`'),
      low: z.number().int().min(0).max(100).default(40).describe('Scores below go to `low`'),
    })
    .refine((config) => config.low <= config.high, { message: 'low must not exceed high', path: ['low'] }),
  outputs: ['high', 'medium', 'low'],
  run: async (ctx, input) => {
    const outbound = required(ctx.services.outbound, 'outbound');
    const envelope = envelopeOf(input);
    const score = await outbound.score(ctx.run.workspaceId, envelope.lead.id);
    const port = score.score >= ctx.config.high ? 'high' : score.score < ctx.config.low ? 'low' : 'medium';
    return ctx.route(
      port,
      envelopeJson(
        { ...envelope, lead: { ...envelope.lead, score: score.score } },
        { score: score.score, factors: score.factors.map((factor) => ({ ...factor })) },
      ),
    );
  },
});
