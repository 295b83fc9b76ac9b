import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

/** The error trigger's config; api/events/error-triggers.ts parses stored documents with it. */
export const errorConfigSchema = z.object({
  workflowIds: z
    .array(z.uuid())
    .max(100)
    .optional()
    .describe('Only failures of these workflows; default: every other workflow of the workspace'),
});

export type ErrorConfig = z.infer<typeof errorConfigSchema>;

export const errorTrigger = defineNode({
  type: 'trigger.error',
  family: 'trigger',
  title: 'Error',
  description: 'Starts the run when another workflow of the workspace fails or times out.',
  docs: [
    'The output is { run: { id, workflowId, versionId, status, error, startedAt, finishedAt }, workflow: { id, name } }.',
    "A workflow's own failures never start it, nor do failures of runs that an error trigger started (no loops).",
    'Each failed run starts this workflow at most once.',
  ].join('\n\n'),
  icon: 'alert-triangle',
  config: errorConfigSchema,
  run: (_ctx, input) => input,
});
