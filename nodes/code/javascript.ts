import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

export const codeNode = defineNode({
  type: 'code.javascript',
  family: 'data',
  title: 'Code',
  description: 'Runs JavaScript in the sandbox: `input` is what arrived, `return` gives the output.',
  docs:
    'The code also sees `trigger`, `nodes.<id>.output`, `run`, `workspace` and `vars`; `await` works; ' +
    '`console.log` goes to the step log. No network, files or timers: use action nodes for those.',
  icon: 'code',
  config: z.object({
    source: z.string().min(1, 'the code is empty').max(200_000).meta({ format: 'javascript' }),
  }),
  rawFields: ['source'],
  retry: { maxAttempts: 1 },
  run: async (ctx, input) => {
    const { value, logs } = await ctx.sandbox.runCode(ctx.config.source, input);
    for (const line of logs) ctx.log.info(line);
    return value;
  },
});
