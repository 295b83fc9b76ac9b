import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { foldText, profanity, termHits, toxicity } from './lib/lexicon.js';
import { decide, guardrailPorts, type Finding } from './lib/verdict.js';
import { textOf, TooLarge } from './lib/walk.js';

const terms = z.array(z.string().min(1).max(200)).max(500).default([]);

export const contentConfigSchema = z.object({
  text: z
    .string()
    .max(2_000_000)
    .optional()
    .describe('The text to check; default: every string of the input'),
  blockedTerms: terms.describe('Words or phrases that must not appear'),
  competitors: terms.describe('Competitor names'),
  competitorAction: z.enum(['block', 'flag']).default('block'),
  profanity: z.boolean().default(true).describe('Fail on profanity (built-in English lexicon)'),
  toxicity: z.boolean().default(true).describe('Fail on insults and abuse (built-in English lexicon)'),
  allowedTopics: z
    .array(
      z.object({
        name: z.string().min(1).max(100),
        keywords: z.array(z.string().min(1).max(100)).min(1).max(100),
      }),
    )
    .max(50)
    .default([])
    .describe('When set, the text must be about one of these topics (any keyword)'),
});

export const safetyContentNode = defineNode({
  type: 'safety.content',
  family: 'safety',
  title: 'Content guardrail',
  description: 'Blocked terms, competitor mentions, profanity and toxicity, and an allow-list of topics.',
  docs:
    'Terms match on word boundaries after folding case, Unicode forms, leetspeak and stretched letters ("f*ck", "shiiit"). ' +
    'With `allowedTopics`, text matching none of the topics fails as off-topic. Competitor mentions fail or are only flagged.',
  icon: 'filter',
  config: contentConfigSchema,
  outputs: guardrailPorts,
  run: async (ctx, input) => {
    const config = ctx.config;
    let folded: string;
    try {
      folded = foldText(config.text ?? textOf(input));
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      return decide(ctx, 'content', {
        verdict: 'fail',
        reason: `Not checked: ${error.message}`,
        findings: [],
      });
    }
    const findings: Finding[] = [];
    const add = (type: string, hits: Map<string, number>, action: string): void => {
      const count = [...hits.values()].reduce((a, b) => a + b, 0);
      if (count > 0) findings.push({ type, count, action });
    };
    add('blocked_term', termHits(folded, config.blockedTerms), 'block');
    add('competitor', termHits(folded, config.competitors), config.competitorAction);
    if (config.profanity) add('profanity', termHits(folded, profanity), 'block');
    if (config.toxicity) add('toxicity', termHits(folded, toxicity), 'block');
    let topic: string | null = null;
    if (config.allowedTopics.length > 0) {
      topic = config.allowedTopics.find((t) => termHits(folded, t.keywords).size > 0)?.name ?? null;
      if (!topic) findings.push({ type: 'off_topic', count: 1, action: 'block' });
    }
    const blocking = findings.filter((f) => f.action === 'block');
    return decide(ctx, 'content', {
      verdict: blocking.length > 0 ? 'fail' : 'pass',
      reason:
        blocking.length > 0
          ? `Blocked: ${blocking.map((f) => (f.type === 'off_topic' ? 'not about an allowed topic' : `${f.count} ${f.type.replace('_', ' ')}`)).join(', ')}`
          : findings.length > 0
            ? `Passed; flagged ${findings.map((f) => `${f.count} ${f.type}`).join(', ')}`
            : 'No blocked content found',
      findings,
      extra: { topic },
    });
  },
});
