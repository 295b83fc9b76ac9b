import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { aiOverrides, aiService, callOptions, metaOf } from './options.js';

export const aiGenerateNode = defineNode({
  type: 'ai.generate',
  family: 'ai',
  title: 'AI: generate text',
  description: 'Writes text from a prompt with {{ expressions }} and an optional system prompt.',
  docs:
    'With the local provider (no key) this is template filling, not a language model: placeholders such as ' +
    '[First name], {company} or <email> in the prompt (or after a "Template:" line) are filled from what the ' +
    'prompt says, and the output says so in `notice`. With an OpenAI-compatible provider it is a chat completion.',
  icon: 'sparkles',
  sideEffects: true,
  outbound: 'ai',
  timeoutMs: 180_000,
  config: z.object({
    prompt: z.string().min(1).max(10_000_000).describe('e.g. Write a reply to {{ input.body.message }}'),
    system: z.string().max(1_000_000).optional(),
    ...aiOverrides,
  }),
  run: async (ctx) => {
    const result = await aiService(ctx).generate(
      ctx.run.workspaceId,
      { prompt: ctx.config.prompt, ...(ctx.config.system !== undefined && { system: ctx.config.system }) },
      callOptions(ctx),
    );
    return {
      text: result.text,
      ...(result.notice !== undefined && { notice: result.notice }),
      ...metaOf(result),
    };
  },
});
