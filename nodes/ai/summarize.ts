import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { aiOverrides, aiService, callOptions, metaOf, textField, textOf } from './options.js';

export const aiSummarizeNode = defineNode({
  type: 'ai.summarize',
  family: 'ai',
  title: 'AI: summarize',
  description: 'Turns text into a short summary and its key points.',
  docs:
    'The local provider (no key) is extractive: it picks the sentences that carry the most of the text, ' +
    'greetings and signatures left out. An OpenAI-compatible provider writes the summary.',
  icon: 'list',
  sideEffects: true,
  outbound: 'ai',
  timeoutMs: 180_000,
  config: z.object({
    text: textField,
    maxSentences: z.number().int().min(1).max(20).default(3),
    ...aiOverrides,
  }),
  run: async (ctx, input) => {
    const result = await aiService(ctx).summarize(
      ctx.run.workspaceId,
      { text: textOf(ctx.config.text, input), maxSentences: ctx.config.maxSentences },
      callOptions(ctx),
    );
    return { summary: result.summary, keyPoints: result.keyPoints, ...metaOf(result) };
  },
});
