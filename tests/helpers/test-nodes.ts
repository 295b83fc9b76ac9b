import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode, type AnyNodeType } from '../../engine/node.js';
import { sleep } from '../../engine/retry.js';

/**
 * Node types that exist only in tests, to drive the engine into the situations the tests
 * need (slow steps, flaky steps, side effects). They reach the world only through ctx.services.
 */
declare module '../../engine/node.js' {
  interface NodeServices {
    /** Counts attempts per key, for the flaky node. */
    attemptCounter?: Map<string, number>;
    /** Records a side effect under its idempotency key; used by the durability test. */
    sideEffects?: { record(key: string, nodeId: string): Promise<void> };
  }
}

export const slowNode = defineNode({
  type: 'test.slow',
  family: 'action',
  title: 'Slow (test)',
  description: 'Waits, honouring the abort signal.',
  config: z.object({ ms: z.number().int().min(0) }),
  run: async (ctx, input) => {
    await sleep(ctx.config.ms, ctx.signal);
    return input;
  },
});

export const flakyNode = defineNode({
  type: 'test.flaky',
  family: 'action',
  title: 'Flaky (test)',
  description: 'Fails its first `failures` attempts (counted per workflow and node).',
  config: z.object({ failures: z.number().int().min(0) }),
  run: (ctx, input) => {
    const counter = ctx.services.attemptCounter;
    if (!counter) throw new Error('attemptCounter service missing');
    // Counted per workflow and node, so a retried run sees the earlier run's attempts.
    const key = `${ctx.run.workflowId}:${ctx.node.id}`;
    const seen = (counter.get(key) ?? 0) + 1;
    counter.set(key, seen);
    if (seen <= ctx.config.failures) throw new StepFailure(`flaky failure ${seen}`, 'flaky');
    return { input, attempts: seen };
  },
});

export const sideEffectNode = defineNode({
  type: 'test.sideEffect',
  family: 'action',
  title: 'Side effect (test)',
  description: 'Records one side effect under the step idempotency key, then takes a while.',
  config: z.object({ holdMs: z.number().int().min(0).default(0) }),
  sideEffects: true,
  run: async (ctx, input) => {
    const sideEffects = ctx.services.sideEffects;
    if (!sideEffects) throw new Error('sideEffects service missing');
    await sideEffects.record(ctx.idempotencyKey, ctx.node.id);
    await sleep(ctx.config.holdMs, ctx.signal);
    return {
      ...(typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}),
      [ctx.node.id]: true,
    };
  },
});

/** The same side effect, from a node that declares it happens once per key (like email.send). */
export const onceByKeyNode = defineNode({
  ...sideEffectNode,
  type: 'test.onceByKey',
  title: 'Side effect once per key (test)',
  onceByKey: true,
});

export const testNodeTypes: AnyNodeType[] = [
  slowNode,
  flakyNode,
  sideEffectNode,
  onceByKeyNode,
] as AnyNodeType[];
