import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { aiOverrides, aiService, callOptions, metaOf, textField, textOf } from './options.js';

const categoryName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'letters, digits, _ and - (it is also the port name)')
  .refine((name) => name !== 'other' && name !== 'error', 'other and error are reserved port names');

export const aiClassifyNode = defineNode({
  type: 'ai.classify',
  family: 'ai',
  title: 'AI: classify',
  description: 'Sorts text into categories: one output port per category, plus other.',
  docs:
    'Describe each category in a few words: the description is what the text is compared with. Single-label ' +
    'fires the best port; multi-label fires every port that fits. When nothing fits, `other` fires. The output ' +
    'carries the labels, a 0–1 score per category and the input.',
  icon: 'tags',
  sideEffects: true,
  outbound: 'ai',
  timeoutMs: 180_000,
  config: z.object({
    text: textField,
    categories: z
      .array(z.object({ name: categoryName, description: z.string().max(2000).optional() }))
      .min(1)
      .max(30)
      .refine(
        (list) => new Set(list.map((c) => c.name)).size === list.length,
        'category names must be unique',
      ),
    multiLabel: z.boolean().default(false),
    ...aiOverrides,
  }),
  outputs: (config) => [...(config?.categories ?? []).map((c) => c.name), 'other'],
  run: async (ctx, input) => {
    const config = ctx.config;
    const result = await aiService(ctx).classify(
      ctx.run.workspaceId,
      {
        text: textOf(config.text, input),
        categories: config.categories.map((c) => ({
          name: c.name,
          ...(c.description !== undefined && { description: c.description }),
        })),
        multiLabel: config.multiLabel,
      },
      callOptions(ctx),
    );
    const known = new Set(config.categories.map((c) => c.name));
    // A model may answer a label it was not given: that is `other`.
    const labels = [...new Set(result.labels.map((label) => (known.has(label) ? label : 'other')))];
    const ports = labels.length === 0 ? ['other'] : config.multiLabel ? labels : labels.slice(0, 1);
    return ctx.route(ports, {
      label: ports[0] ?? 'other',
      labels: ports,
      scores: result.scores,
      ...metaOf(result),
      input,
    });
  },
});
