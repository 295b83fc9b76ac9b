/**
 * The sandbox escape corpus (tests/helpers/escape-corpus.ts) against a live server (issue 7):
 * each attack is a workflow of its own — a code node, or an expression in data.set — published
 * and run through the HTTP API, one attack per run. The attacked step fails with the expected
 * kind of error or returns the harmless value, nothing in the run shows the host, and right
 * after each attack a normal run in the same workspace (same isolate pool) answers correctly.
 *
 * Attacks run in a few lanes at once, each lane its own workspace, so a memory bomb in one
 * lane's isolate cannot be blamed on another lane's attack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../engine/json.js';
import type { SandboxErrorKind } from '../engine/sandbox/types.js';
import type { ApiClient } from './helpers/api.js';
import { startApi, type TestApi } from './helpers/api.js';
import { attacks, expressionAttacks, hostLeak, type Outcome } from './helpers/escape-corpus.js';

const LANES = 4;
/** Tight limits, as in tests/sandbox-escapes.test.ts, so bombs and loops end quickly. */
const SANDBOX = { memoryMb: 32, cpuTimeoutMs: 300 };
const RUN_INPUT = { n: 1, body: { plan: 'pro' } };

interface StepView {
  nodeId: string;
  status: string;
  output: Json;
  error: { message: string; code?: string } | null;
}

interface RunView {
  id: string;
  status: string;
  error: { message: string; code?: string } | null;
  steps: StepView[];
}

interface Lane {
  client: ApiClient;
  base: string;
  healthy: string;
}

interface LiveAttack {
  name: string;
  form: 'code' | 'expression';
  node: Record<string, unknown>;
  expect: Outcome;
}

let server: TestApi;
let lanes: Lane[] = [];

/** trigger → a (adds x: 5, so `nodes.a.output.x` exists) → the node under test. */
function workflowAround(name: string, node: Record<string, unknown>) {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: 'start', type: 'trigger.manual', config: {} },
      { id: 'a', type: 'data.set', config: { fields: [{ name: 'x', value: 5 }] } },
      { id: 'attack', ...node },
    ],
    edges: [
      { from: 'start', to: 'a' },
      { from: 'a', to: 'attack' },
    ],
    settings: { sandbox: SANDBOX },
  };
}

async function publish(lane: Pick<Lane, 'client' | 'base'>, document: unknown): Promise<string> {
  const created = await lane.client.post<{ id: string }>(`${lane.base}/workflows`, document);
  expect(created.status, created.text).toBe(201);
  const published = await lane.client.post(`${lane.base}/workflows/${created.body.id}/publish`, {});
  expect(published.status, published.text).toBe(201);
  return created.body.id;
}

/** Start a run over HTTP and read it back once it ended; the raw text is checked for host details. */
async function run(lane: Lane, workflowId: string): Promise<{ run: RunView; text: string }> {
  const started = await lane.client.post<{ id: string }>(`${lane.base}/workflows/${workflowId}/runs`, {
    input: RUN_INPUT,
  });
  expect(started.status, started.text).toBe(202);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await lane.client.get<RunView>(`${lane.base}/runs/${started.body.id}`);
    expect(response.status).toBe(200);
    if (!['queued', 'running'].includes(response.body.status))
      return { run: response.body, text: response.text };
    if (Date.now() > deadline) throw new Error(`run ${started.body.id} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Publish the attack's workflow. An attack that breaks the template or JavaScript syntax is
 * refused right there, naming the field (contained before it runs): then there is nothing to run.
 */
async function publishAttack(lane: Lane, attack: LiveAttack): Promise<string | undefined> {
  const created = await lane.client.post<{ id: string }>(
    `${lane.base}/workflows`,
    workflowAround(attack.name, attack.node),
  );
  expect(created.status, created.text).toBe(201);
  const published = await lane.client.post(`${lane.base}/workflows/${created.body.id}/publish`, {});
  if (published.status === 400 && 'error' in attack.expect && attack.expect.error.includes('syntax')) {
    // A template in data.set, or a code node whose source does not parse (issue 18).
    const field =
      attack.node.type === 'code.javascript'
        ? 'nodes.attack.config.source'
        : 'nodes.attack.config.fields[0].value';
    expect(published.body.invalidParams?.map((param) => param.name)).toEqual([field]);
    return undefined;
  }
  expect(published.status, published.text).toBe(201);
  return created.body.id;
}

/** The step error codes a sandbox error of each kind becomes (engine/errors.ts). */
const codeFor = (kind: SandboxErrorKind): string => (kind === 'timeout' ? 'timeout' : `sandbox_${kind}`);

function expectContained(attack: LiveAttack, result: { run: RunView; text: string }): void {
  const step = result.run.steps.find((candidate) => candidate.nodeId === 'attack');
  expect(step, 'the attacked step ran').toBeDefined();
  expect(result.text, 'nothing in the run shows the host').not.toMatch(hostLeak);
  if ('error' in attack.expect) {
    expect(result.run.status).toBe('failed');
    expect(step!.status).toBe('failed');
    if (attack.form === 'code') {
      expect(attack.expect.error.map(codeFor)).toContain(step!.error?.code);
    } else {
      expect(step!.error?.code).toBe('expression');
      expect(step!.error?.message).toMatch(/^An expression in the config failed: /);
    }
  } else {
    expect(result.run.status, JSON.stringify(step?.error)).toBe('succeeded');
    expect(step!.output).toEqual(
      attack.form === 'code' ? attack.expect.value : { result: attack.expect.value },
    );
  }
}

/** A normal run in the same workspace: code and expressions give the right answers, nothing polluted. */
async function expectHealthy(lane: Lane): Promise<void> {
  const { run: healthy } = await run(lane, lane.healthy);
  expect(healthy.status, JSON.stringify(healthy.error)).toBe('succeeded');
  expect(healthy.steps.find((step) => step.nodeId === 'check')?.output).toEqual({
    double: 2,
    x: 5,
    polluted: 'undefined',
    leak: 'undefined',
    plan: 'pro',
    code: { n: 1, proto: 'undefined', g: 'undefined' },
  });
}

/** trigger → a → a code node → expressions: both sandbox paths, with the answers known. */
const healthyWorkflow = {
  schemaVersion: 1,
  name: 'Healthy',
  nodes: [
    { id: 'start', type: 'trigger.manual', config: {} },
    { id: 'a', type: 'data.set', config: { fields: [{ name: 'x', value: 5 }] } },
    {
      id: 'code',
      type: 'code.javascript',
      config: { source: 'return { n: input.n, proto: typeof Object.prototype.polluted, g: typeof leak }' },
    },
    {
      id: 'check',
      type: 'data.set',
      config: {
        keepInput: false,
        fields: [
          { name: 'double', value: '{{ input.n * 2 }}' },
          { name: 'x', value: '{{ nodes.a.output.x }}' },
          { name: 'polluted', value: '{{ typeof ({}).polluted }}' },
          { name: 'leak', value: '{{ typeof globalThis.leak }}' },
          { name: 'plan', value: '{{ trigger.body.plan }}' },
          { name: 'code', value: '{{ nodes.code.output }}' },
        ],
      },
    },
  ],
  edges: [
    { from: 'start', to: 'a' },
    { from: 'a', to: 'code' },
    { from: 'code', to: 'check' },
  ],
  settings: { sandbox: SANDBOX },
};

const liveAttacks: LiveAttack[] = [
  ...attacks.map((attack): LiveAttack => ({
    name: `code: ${attack.name}`,
    form: 'code',
    node: { type: 'code.javascript', config: { source: attack.code } },
    expect: attack.expect,
  })),
  ...expressionAttacks.map((attack): LiveAttack => ({
    name: `expression: ${attack.name}`,
    form: 'expression',
    node: {
      type: 'data.set',
      config: { keepInput: false, fields: [{ name: 'result', value: `{{ ${attack.source} }}` }] },
    },
    expect: attack.expect,
  })),
];

beforeAll(async () => {
  server = await startApi({ engine: true });
  lanes = await Promise.all(
    Array.from({ length: LANES }, async () => {
      const client = server.client();
      const account = await client.signup();
      const base = `/api/v1/workspaces/${account.workspaceId}`;
      const healthy = await publish({ client, base }, healthyWorkflow);
      return { client, base, healthy };
    }),
  );
});

afterAll(async () => {
  await server?.close();
});

describe('escape corpus against a live server', () => {
  it('runs every attack as its own run, contained, with a correct normal run right after each', async () => {
    expect(liveAttacks.length).toBeGreaterThanOrEqual(120);
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      lanes.map(async (lane) => {
        for (;;) {
          const attack = liveAttacks[next++];
          if (!attack) return;
          try {
            const workflowId = await publishAttack(lane, attack);
            if (workflowId !== undefined) expectContained(attack, await run(lane, workflowId));
            await expectHealthy(lane);
          } catch (error) {
            failures.push(`${attack.name}: ${(error as Error).message}`);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('still serves the API after the whole corpus', async () => {
    const lane = lanes[0]!;
    expect((await lane.client.get('/api/v1/me')).status).toBe(200);
    await expectHealthy(lane);
  });
});
