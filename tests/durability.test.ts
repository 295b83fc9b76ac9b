import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocumentInput } from '../engine/document.js';
import { createHarness, type Harness } from './helpers/harness.js';
import { createSideEffectsTable, sideEffectCounts, sideEffectRecorder } from './helpers/side-effects.js';

const childScript = fileURLToPath(new URL('./fixtures/durable-child.ts', import.meta.url));
const SIDE_EFFECT_STEPS = ['charge', 'email', 'crm', 'slack', 'invoice', 'task'];

/** trigger → charge → (pure) → email → (pure) → crm → slack → invoice → task */
const workflow: WorkflowDocumentInput = {
  schemaVersion: 1,
  name: 'Six side effects',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    ...SIDE_EFFECT_STEPS.map((id) => ({ id, type: 'test.sideEffect', config: { holdMs: 150 } })),
    { id: 'score', type: 'code.javascript', config: { source: 'return { ...input, score: 42 }' } },
    {
      id: 'tag',
      type: 'data.set',
      config: { fields: [{ name: 'tagged', value: '{{ input.score > 40 }}' }] },
    },
  ],
  edges: [
    { from: 'start', to: 'charge' },
    { from: 'charge', to: 'score' },
    { from: 'score', to: 'email' },
    { from: 'email', to: 'tag' },
    { from: 'tag', to: 'crm' },
    { from: 'crm', to: 'slack' },
    { from: 'slack', to: 'invoice' },
    { from: 'invoice', to: 'task' },
  ],
};

let h: Harness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  h = await createHarness({ staleAfterMs: 1500 });
  await createSideEffectsTable(h.db.knex);
  h.services.sideEffects = sideEffectRecorder(h.db.knex);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await h?.close();
});

function startChild(workflowId: string, versionId: string, mode: 'stored' | 'unsaved'): Promise<string> {
  child = spawn(
    process.execPath,
    [
      '--no-node-snapshot',
      '--import',
      'tsx',
      childScript,
      h.db.url,
      h.workspaceId,
      workflowId,
      versionId,
      mode,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { runId: string }).runId));
    child!.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('durability', () => {
  // `unsaved`: started as a synchronous webhook starts runs, stored by its first commit — which
  // must come before its first side effect.
  it.each(['stored', 'unsaved'] as const)(
    'finishes a run (%s when it started) on a second executor after the first is killed, never repeating a completed side effect',
    async (mode) => {
      const { workflowId, versionId } = await h.publish(workflow);
      const runId = await startChild(workflowId, versionId, mode);

      // Kill the executor in the middle: after three side effects happened.
      const ofThisRun = async () =>
        [...(await sideEffectCounts(h.db.knex))].filter(([key]) => key.startsWith(`${runId}:`));
      await until(async () => (await ofThisRun()).reduce((sum, [, count]) => sum + count, 0) >= 3, 30_000);
      child!.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      const committedBeforeKill = await h.steps(runId);
      const completedSideEffects = SIDE_EFFECT_STEPS.filter(
        (id) => committedBeforeKill.get(id)?.status === 'succeeded',
      );
      expect(completedSideEffects.length).toBeGreaterThanOrEqual(2);
      expect((await h.db.store.getRun(runId))?.status).toBe('running');

      // This process's sweeper sees the dead executor and takes the run over.
      const run = await h.runtime.waitForRun(runId, { timeoutMs: 30_000 });
      expect(run.error).toBeNull();
      expect(run.status).toBe('succeeded');
      expect(run.executorId).toBe(h.runtime.engine.executorId);

      const counts = await sideEffectCounts(h.db.knex);
      for (const id of SIDE_EFFECT_STEPS) {
        const key = `${runId}:${id}`;
        // A side effect completed before the crash ran exactly once.
        if (completedSideEffects.includes(id)) expect(counts.get(key), id).toBe(1);
        // One interrupted mid-flight may run again once, with the same key; never more.
        else expect(counts.get(key), id).toBeGreaterThanOrEqual(1);
        expect(counts.get(key), id).toBeLessThanOrEqual(2);
      }
      const steps = await h.steps(runId);
      for (const id of SIDE_EFFECT_STEPS) expect(steps.get(id)?.status, id).toBe('succeeded');
      expect(steps.get('tag')?.output).toMatchObject({ score: 42, tagged: true, charge: true, email: true });
      expect(steps.get('task')?.output).toMatchObject({ invoice: true, task: true });
    },
  );

  it('fails a side-effect step interrupted twice, but re-runs one whose node makes its effect once per key', async () => {
    const runFoundRunningAgain = async (type: string) => {
      const { workflowId, versionId } = await h.publish({
        schemaVersion: 1,
        name: `interrupted ${type}`,
        nodes: [
          { id: 'start', type: 'trigger.manual', config: {} },
          { id: 'effect', type, config: {} },
        ],
        edges: [{ from: 'start', to: 'effect' }],
      });
      const at = new Date();
      const step = (nodeId: string, status: 'succeeded' | 'running', interruptions: number) => ({
        runId: '',
        nodeId,
        status,
        attempts: 1,
        input: {},
        output: status === 'succeeded' ? {} : null,
        ports: status === 'succeeded' ? ['out'] : [],
        error: null,
        logs: [],
        startedAt: at,
        finishedAt: status === 'succeeded' ? at : null,
        wait: null,
        interruptions,
      });
      // Held by an executor that died while the step ran, for the second time.
      const run = await h.db.store.createRun({
        workspaceId: h.workspaceId,
        workflowId,
        versionId,
        triggerNodeId: 'start',
        input: {},
        deadlineAt: null,
        claimFor: 'executor-that-died',
        steps: [step('start', 'succeeded', 0), step('effect', 'running', 1)],
      });
      return h.runtime.waitForRun(run.id, { timeoutMs: 30_000 });
    };
    const cautious = await runFoundRunningAgain('test.sideEffect');
    expect(cautious.status).toBe('failed');
    expect(cautious.error?.message).toMatch(/interrupted twice/);
    const once = await runFoundRunningAgain('test.onceByKey');
    expect(once.status).toBe('succeeded');
    expect((await sideEffectCounts(h.db.knex)).get(`${once.id}:effect`)).toBe(1);
  });
});
