import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import type { RunRecord } from '../engine/store.js';
import { createHarness, type Harness } from './helpers/harness.js';

/** Per-workflow limits in embedded mode: the in-process dispatcher holds them. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

function slow(name: string, settings: WorkflowDocumentInput['settings']): WorkflowDocumentInput {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'work', type: 'test.slow', config: { ms: 100 } },
    ],
    edges: [{ from: 'start', to: 'work' }],
    settings,
  };
}

/** Start `count` runs and record, from the engine's own step events, when each one's work began and ended. */
async function runAll(
  document: WorkflowDocumentInput,
  count: number,
): Promise<{ runs: RunRecord[]; maxOverlap: number; starts: number[] }> {
  const { workflowId, versionId } = await h.publish(document);
  let active = 0;
  let maxOverlap = 0;
  const starts: number[] = [];
  const ids = new Set<string>();
  const unsubscribe = h.runtime.engine.subscribe((event) => {
    if (event.type !== 'step' || event.step.nodeId !== 'work' || !ids.has(event.runId)) return;
    if (event.step.status === 'running') {
      starts.push(Date.now());
      maxOverlap = Math.max(maxOverlap, (active += 1));
    } else if (event.step.status === 'succeeded') active -= 1;
  });
  try {
    const started: RunRecord[] = [];
    for (let index = 0; index < count; index += 1) {
      const run = await h.runtime.startRun({
        workspaceId: h.workspaceId,
        workflowId,
        versionId,
        input: { index },
      });
      ids.add(run.id);
      started.push(run);
    }
    const runs = await Promise.all(started.map((run) => h.runtime.waitForRun(run.id, { timeoutMs: 20_000 })));
    return { runs, maxOverlap, starts };
  } finally {
    unsubscribe();
  }
}

describe('workflow limits in embedded mode', () => {
  it('runs at most settings.concurrency runs of a workflow at once; the others queue', async () => {
    const { runs, maxOverlap } = await runAll(slow('Two at a time', { concurrency: 2 }), 8);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(maxOverlap).toBe(2);
  });

  it('runs without limits side by side', async () => {
    const { maxOverlap } = await runAll(slow('Unlimited', {}), 6);
    expect(maxOverlap).toBeGreaterThan(2);
  });

  it('starts at most settings.rateLimit.max runs per window', async () => {
    const rateLimit = { max: 2, perMs: 400 };
    const { runs, starts } = await runAll(slow('Two per 400 ms', { rateLimit }), 6);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    starts.sort((a, b) => a - b);
    for (const [index, start] of starts.entries()) {
      expect(
        starts.slice(index).filter((at) => at < start + rateLimit.perMs - 50).length,
      ).toBeLessThanOrEqual(rateLimit.max);
    }
  });
});
