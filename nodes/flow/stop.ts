import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';

export const stopNode = defineNode({
  type: 'flow.stop',
  family: 'flow',
  title: 'Stop',
  description: 'Ends this branch: the run succeeds, or fails with a message.',
  docs:
    'With `failed`, the step fails with the message (code `stopped`), so the run fails with it unless the ' +
    "node's onError routes it. With `succeeded`, nothing follows this node; it outputs { stopped, message, input }. " +
    'Other branches that are still running finish as usual.',
  icon: 'octagon',
  config: z.object({
    outcome: z.enum(['succeeded', 'failed']).default('succeeded'),
    message: z.string().max(2000).default(''),
  }),
  // No output port: nothing can be connected after a stop.
  outputs: [],
  run: (ctx, input) => {
    if (ctx.config.outcome === 'failed') {
      throw new StepFailure(ctx.config.message || 'The workflow stopped with a failure', 'stopped');
    }
    return { stopped: true, message: ctx.config.message, input };
  },
});
