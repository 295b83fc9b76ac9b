import { z } from 'zod';
import { truthy } from '../../engine/logic.js';
import { defineNode } from '../../engine/node.js';
import { jsonLogicRule } from '../schemas.js';

const portName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'use letters, digits, _ and -')
  .refine((port) => port !== 'default' && port !== 'error', 'default and error are reserved port names');

export const switchNode = defineNode({
  type: 'logic.switch',
  family: 'logic',
  title: 'Switch',
  description: 'Sends its input to the port of the first case that matches, or to `default`.',
  docs: 'Each case has a port name and a json-logic condition. With mode `all`, every matching case fires.',
  icon: 'split',
  config: z.object({
    cases: z
      .array(z.object({ port: portName, condition: jsonLogicRule }))
      .min(1)
      .max(50)
      .refine(
        (cases) => new Set(cases.map((c) => c.port)).size === cases.length,
        'case ports must be unique',
      ),
    mode: z.enum(['first', 'all']).default('first'),
  }),
  rawFields: ['cases'],
  outputs: (config) => [...(config?.cases ?? []).map((c) => c.port), 'default'],
  run: (ctx, input) => {
    const matched: string[] = [];
    for (const { port, condition } of ctx.config.cases) {
      if (!truthy(ctx.logic(condition))) continue;
      matched.push(port);
      if (ctx.config.mode === 'first') break;
    }
    return ctx.route(matched.length > 0 ? matched : ['default'], input);
  },
});
