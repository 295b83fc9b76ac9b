import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { CHILD_RUN_SIGNAL, childSignalKey, type ChildRunResult } from '../../engine/waits.js';
import { childFailure } from '../flow/sub-workflow.js';
import { required } from '../services.js';

const MAX_ITEMS = 1_000;

/** What the step carries from one resume to the next (committed with its wait). */
interface ForEachState {
  items: Json[];
  /** Child run id per started item, in item order. */
  runIds: string[];
  /** Per item: its result once its child ended. */
  results: Array<ItemResult | null>;
}

interface ItemResult {
  ok: boolean;
  output: Json;
  error: Json;
}

export const forEachNode = defineNode({
  type: 'logic.forEach',
  family: 'logic',
  title: 'For each',
  description:
    'Runs a published sub-workflow for each item of a list, a few at a time, and collects the results in order.',
  docs: [
    'Each item becomes the input of a child run of the workflow `workflowId` (its active version, else its latest ' +
      'published one — as with Sub-workflow); at most `concurrency` children run at once. The run suspends, ' +
      'holding no worker, while children run.',
    "The output is { results, errors, runIds }: `results[i]` is item i's child run output (null for a failed " +
      'item), `errors` lists { index, runId, message } of the failed items, `runIds[i]` is the child run of item i.',
    "onItemError `fail` (default): the first failed item fails this step with the child's error and cancels " +
      'the children still running. `collect`: every item runs; failures are listed in `errors`.',
    'The loop body is a separate workflow, not a part of this graph: documents have no loop constructs, and a ' +
      'sub-workflow can be tested, versioned and reused on its own.',
  ].join('\n\n'),
  icon: 'repeat',
  config: z.object({
    workflowId: z
      .uuid()
      .describe('The workflow each item runs (of this workspace)')
      .meta({ format: 'workflow' }),
    items: z
      .array(z.unknown())
      .max(MAX_ITEMS)
      .optional()
      .describe('The list, e.g. {{ input.accounts }} (default: the input, which must then be a list)'),
    concurrency: z.number().int().min(1).max(50).default(4).describe('Children running at once'),
    onItemError: z.enum(['fail', 'collect']).default('fail'),
  }),
  sideEffects: true,
  run: async (ctx, input) => {
    const childRuns = required(ctx.services.childRuns, 'child runs');
    const { concurrency, onItemError } = ctx.config;
    let state: ForEachState;
    if (ctx.resume) {
      state = ctx.resume.state as unknown as ForEachState;
    } else {
      const items = ctx.config.items ?? input;
      if (!Array.isArray(items)) {
        throw new StepFailure(
          'config.items: expected a list (or an input that is a list)',
          'config',
          'config.items',
        );
      }
      if (items.length > MAX_ITEMS) {
        throw new StepFailure(`config.items: at most ${MAX_ITEMS} items`, 'config', 'config.items');
      }
      state = { items: items as Json[], runIds: [], results: items.map(() => null) };
    }

    // Record every child that ended (the signal only says that one did).
    const inFlight = state.runIds.filter((_, index) => state.results[index] === null);
    const ended = new Map<string, ChildRunResult>(
      (await childRuns.results(inFlight)).map((result) => [result.runId, result]),
    );
    let firstFailure: { index: number; result: ChildRunResult } | undefined;
    state.runIds.forEach((runId, index) => {
      const result = ended.get(runId);
      if (!result || state.results[index] !== null) return;
      const ok = result.status === 'succeeded';
      state.results[index] = {
        ok,
        output: ok ? result.output : null,
        error: ok ? null : childFailure(result).message,
      };
      if (!ok && (!firstFailure || index < firstFailure.index)) firstFailure = { index, result };
    });
    if (firstFailure && onItemError === 'fail') {
      await childRuns.cancel(state.runIds.filter((_, index) => state.results[index] === null));
      const failure = childFailure(firstFailure.result);
      throw new StepFailure(`Item ${firstFailure.index}: ${failure.message}`, 'child_failed');
    }

    // Start children up to the concurrency bound, in item order.
    let running = state.runIds.filter((_, index) => state.results[index] === null).length;
    while (running < concurrency && state.runIds.length < state.items.length) {
      const index = state.runIds.length;
      const child = await childRuns.start({
        workspaceId: ctx.run.workspaceId,
        workflowId: ctx.config.workflowId,
        input: state.items[index] ?? null,
        parent: { runId: ctx.run.id, nodeId: ctx.node.id },
        key: String(index),
      });
      state.runIds.push(child.runId);
      running += 1;
    }

    if (state.results.every((result) => result !== null)) {
      const results = state.results.map((result) => result?.output ?? null);
      const errors: Json[] = [];
      state.results.forEach((result, index) => {
        if (result && !result.ok)
          errors.push({ index, runId: state.runIds[index] ?? null, message: result.error });
      });
      return { results, errors, runIds: state.runIds };
    }
    const waitingFor = state.runIds.filter((_, index) => state.results[index] === null);
    return ctx.wait({
      signal: {
        kind: CHILD_RUN_SIGNAL,
        key: childSignalKey(ctx.run.id, ctx.node.id),
        match: { runIds: waitingFor },
      },
      state: state as unknown as Json,
    });
  },
});
