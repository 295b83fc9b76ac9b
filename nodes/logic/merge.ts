import { z } from 'zod';
import { isJsonObject, type Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';

export const mergeNode = defineNode({
  type: 'logic.merge',
  family: 'logic',
  title: 'Merge',
  description: 'Joins branches: waits for every branch that can still arrive, or goes on with the first.',
  docs:
    "combine: `object` merges the inputs' fields (later branches win), `array` lists them in edge order, " +
    '`byNode` keys them by the node they came from.',
  icon: 'merge',
  config: z.object({
    mode: z.enum(['all', 'first']).default('all'),
    combine: z.enum(['object', 'array', 'byNode']).default('byNode'),
  }),
  join: (config) => (config?.mode === 'first' ? 'any' : 'all'),
  run: (ctx) => {
    const inputs = ctx.config.mode === 'first' ? ctx.inputs.slice(0, 1) : ctx.inputs;
    if (ctx.config.combine === 'array') return inputs.map((input) => input.value);
    const merged: Record<string, Json> = {};
    for (const input of inputs) {
      if (ctx.config.combine === 'byNode') merged[input.from] = input.value;
      else if (isJsonObject(input.value)) Object.assign(merged, input.value);
    }
    return merged;
  },
});
