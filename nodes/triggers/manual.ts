import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

export const manualTrigger = defineNode({
  type: 'trigger.manual',
  family: 'trigger',
  title: 'Manual trigger',
  description: 'Starts the run by hand, from the canvas, the API or the CLI, with the input given.',
  icon: 'play',
  config: z.object({
    sampleInput: z.unknown().optional().describe('An example input, offered when running by hand'),
  }),
  run: (_ctx, input) => input,
});
