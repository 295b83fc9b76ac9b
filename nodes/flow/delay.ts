import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

export const delayNode = defineNode({
  type: 'flow.delay',
  family: 'flow',
  title: 'Delay',
  description:
    'Waits for a duration or until a time, then passes its input on. Holds no worker while it waits.',
  icon: 'clock',
  config: z
    .object({
      ms: z
        .number()
        .int()
        .min(0)
        .max(366 * 86_400_000)
        .optional()
        .describe('Wait this many milliseconds'),
      until: z.iso.datetime({ offset: true }).optional().describe('Or wait until this time (ISO 8601)'),
    })
    .refine((config) => (config.ms === undefined) !== (config.until === undefined), {
      message: 'set either ms or until',
      path: ['ms'],
    }),
  run: (ctx, input) => {
    if (ctx.resume) return input;
    const until = ctx.config.until ? new Date(ctx.config.until) : new Date(Date.now() + (ctx.config.ms ?? 0));
    if (until.getTime() <= Date.now()) return input;
    return ctx.wait({ until, onTimeout: { port: 'out', value: input } });
  },
});
