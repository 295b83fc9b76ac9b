import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode, type NodeResult } from '../../engine/node.js';
import { CHILD_RUN_SIGNAL, childSignalKey, type ChildRunResult } from '../../engine/waits.js';
import { required } from '../services.js';

interface SubWorkflowState {
  runId: string;
}

/** A child run's failure as the calling step's error: with the child's run id and message. */
export function childFailure(result: ChildRunResult): StepFailure {
  const reason = result.error?.message ?? `it ended ${result.status}`;
  const message = `Sub-workflow run ${result.runId} ${result.status.replace('_', ' ')}: ${reason}`;
  return new StepFailure(message.slice(0, 4_000), 'child_failed');
}

export const subWorkflowNode = defineNode({
  type: 'flow.subWorkflow',
  family: 'flow',
  title: 'Sub-workflow',
  description:
    'Runs another published workflow of this workspace and waits for its result, or fires and forgets.',
  docs: [
    'The called workflow runs its active version (or, when it is not active, its latest published one) as a ' +
      'child run that records this run and node as its parent. Its first trigger gets `input` (default: this ' +
      "node's input) as the run input — a `trigger.manual` fits best.",
    '`wait` (default): the run suspends, holding no worker, until the child ends. The output is { runId, output } ' +
      "where `output` is the child run's output: the output of its one last node, or, with several last nodes " +
      'that produced output, an object of their outputs by node id. A child that fails, times out or is ' +
      "cancelled fails this step with the child's error and run id.",
    '`fireAndForget`: the step outputs { runId, workflowId, versionId } at once; the child runs on its own.',
    'Calls nest at most 10 deep: a workflow that calls itself without end fails there. Cancelling this run ' +
      'cancels the child runs it waits for.',
  ].join('\n\n'),
  icon: 'workflow',
  config: z.object({
    workflowId: z.uuid().describe('The workflow to call (of this workspace)').meta({ format: 'workflow' }),
    input: z.unknown().optional().describe("The child run's input (default: this node's input)"),
    mode: z.enum(['wait', 'fireAndForget']).default('wait').describe('Wait for the result, or not'),
  }),
  sideEffects: true,
  run: async (ctx, input): Promise<NodeResult> => {
    if (ctx.resume) {
      const result = ctx.resume.payload as unknown as ChildRunResult | null;
      if (ctx.resume.reason !== 'signal' || !result) {
        const { runId } = ctx.resume.state as unknown as SubWorkflowState;
        throw new StepFailure(`Sub-workflow run ${runId} did not end in time`, 'timeout');
      }
      if (result.status !== 'succeeded') throw childFailure(result);
      return { runId: result.runId, output: result.output };
    }
    const childRuns = required(ctx.services.childRuns, 'child runs');
    const child = await childRuns.start({
      workspaceId: ctx.run.workspaceId,
      workflowId: ctx.config.workflowId,
      input: ctx.config.input === undefined ? input : (ctx.config.input as Json),
      parent: { runId: ctx.run.id, nodeId: ctx.node.id },
    });
    ctx.log.info(`Started sub-workflow run ${child.runId}`);
    if (ctx.config.mode === 'fireAndForget') {
      return { runId: child.runId, workflowId: child.workflowId, versionId: child.versionId };
    }
    const state: SubWorkflowState = { runId: child.runId };
    return ctx.wait({
      signal: {
        kind: CHILD_RUN_SIGNAL,
        key: childSignalKey(ctx.run.id, ctx.node.id),
        match: { runIds: [child.runId] },
      },
      state: state as unknown as Json,
    });
  },
});
