import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';
import { chooseArm, DEFAULT_BANDIT, rngFromKey } from './bandit.js';
import { envelopeJson, envelopeOf } from './envelope.js';

export const variantSchema = z.object({
  key: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'),
  subject: z.string().min(1).max(300),
  body: z.string().min(1).max(20_000),
  followUp: z.string().max(20_000).optional().describe('Body of the follow-up in the same thread'),
});

export const pickVariantNode = defineNode({
  type: 'outbound.pickVariant',
  family: 'growth',
  title: 'Pick message variant',
  description:
    'Chooses a subject and body by Thompson sampling: variants that earn replies get more traffic.',
  docs: [
    'Each variant has a Beta–Bernoulli posterior over its reward rate; a reward is a positive reply or a ' +
      'meeting attributed to a send of that variant (opens never count). Until every variant has ' +
      '`minSamples` sends, traffic rotates evenly; after that each variant keeps at least ' +
      '`explorationFloor` of the traffic. Counts are per campaign, per this step and per segment.',
    'Templates may use merge fields such as `{{ lead.firstName | there }}` and `{{ lead.company }}`: they ' +
      'are filled in by outbound.send from the lead, not by the workflow engine.',
  ].join('\n\n'),
  icon: 'shuffle',
  rawFields: ['variants'],
  config: z.object({
    variants: z
      .array(variantSchema)
      .min(1)
      .max(10)
      .refine((list) => new Set(list.map((v) => v.key)).size === list.length, 'variant keys must be unique'),
    segment: z
      .string()
      .max(100)
      .optional()
      .describe('Learn per segment (e.g. {{ input.lead.attributes.tier }})'),
    explorationFloor: z.number().min(0).max(0.2).default(DEFAULT_BANDIT.explorationFloor),
    minSamples: z.number().int().min(0).max(10_000).default(DEFAULT_BANDIT.minSamples),
  }),
  run: async (ctx, input) => {
    const outbound = required(ctx.services.outbound, 'outbound');
    const envelope = envelopeOf(input);
    const { config } = ctx;
    const segment = config.segment ?? envelope.segment ?? '';
    const counts = await outbound.variantCounts(ctx.run.workspaceId, {
      campaignId: envelope.campaignId,
      picker: ctx.node.id,
      segment,
    });
    const byKey = new Map(counts.map((count) => [count.variant, count]));
    const arms = config.variants.map((variant) => ({
      sends: byKey.get(variant.key)?.sends ?? 0,
      rewards: byKey.get(variant.key)?.rewards ?? 0,
    }));
    // Seeded by the step: a re-run after a crash picks as the first run did (given the same counts).
    const pick = chooseArm(arms, rngFromKey(ctx.idempotencyKey), {
      explorationFloor: config.explorationFloor,
      minSamples: config.minSamples,
    });
    const variant = config.variants[pick.index]!;
    return envelopeJson(
      { ...envelope, segment: segment || null },
      { variant: { ...variant, picker: ctx.node.id }, pickReason: pick.reason },
    );
  },
});
