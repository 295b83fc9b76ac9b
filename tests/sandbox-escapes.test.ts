/**
 * Known attack shapes against the sandbox, each run as a code node and (where it means
 * something) as an expression. Each must be contained: it fails with a SandboxError of an
 * expected kind or yields a harmless value, never a host object, and the workspace's next
 * call (same run and a new run) still gets the right answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../engine/json.js';
import type { ExpressionScope } from '../engine/node.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { SandboxError, type SandboxSession } from '../engine/sandbox/types.js';
import { attacks, expressionAttacks, hostLeak, type Outcome } from './helpers/escape-corpus.js';

const normalScope = (): ExpressionScope => ({
  input: { n: 21 },
  trigger: { body: { plan: 'pro' } },
  nodes: new Map<string, Json>([['a', { x: 5 }]]),
  run: { id: 'run' },
  workspace: { id: 'ws' },
  vars: {},
});

async function outcomeOf(
  call: () => Json | Promise<Json>,
): Promise<{ value: Json } | { error: SandboxError }> {
  try {
    return { value: await call() };
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    return { error };
  }
}

function expectContained(actual: { value: Json } | { error: SandboxError }, expected: Outcome): void {
  if ('error' in expected) {
    expect(actual, `expected an error of kind ${expected.error.join('|')}`).toHaveProperty('error');
    const { error } = actual as { error: SandboxError };
    expect(expected.error).toContain(error.kind);
    expect(error.message).not.toMatch(hostLeak);
  } else {
    expect(actual).toEqual({ value: expected.value });
  }
}

/** After an attack: the run goes on, a new run starts clean. */
async function expectHealthy(session: SandboxSession, sandbox: IsolateSandbox): Promise<void> {
  const probe = ['input.n * 2', 'typeof ({}).polluted', 'typeof globalThis.leak', 'nodes.a.output.x'];
  expect(session.evaluate(probe, normalScope())).toEqual([42, 'undefined', 'undefined', 5]);
  expect((await session.runCode('return input.n + 1', { n: 41 }, normalScope())).value).toBe(42);
  const next = sandbox.session('ws-attacked');
  expect(next.evaluate(probe, normalScope())).toEqual([42, 'undefined', 'undefined', 5]);
  next.close();
}

let sandbox: IsolateSandbox;

beforeAll(() => {
  sandbox = new IsolateSandbox({ limits: { memoryMb: 32, cpuTimeoutMs: 300 } });
});

afterAll(() => sandbox.dispose());

describe('escape corpus', () => {
  it('would notice an escape: a host object, a wrong error kind or a leaking message fails the check', () => {
    // The checks below can only be trusted if they fail on what an escape looks like.
    const escaped = new SandboxError('runtime', 'at Object.<anonymous> (/work/main/engine/x.ts:1:1) process.env');
    expect(() => expectContained({ value: 'host' }, { error: ['timeout'] })).toThrow();
    expect(() => expectContained({ error: escaped }, { error: ['timeout'] })).toThrow();
    expect(() => expectContained({ error: escaped }, { error: ['runtime'] })).toThrow();
    expect(() => expectContained({ value: { leaked: true } }, { value: null })).toThrow();
  });

  describe('as a code node', () => {
    it.each(attacks)('$name', async (attack) => {
      const session = sandbox.session('ws-attacked');
      try {
        expectContained(
          await outcomeOf(async () => (await session.runCode(attack.code, { n: 1 }, normalScope())).value),
          attack.expect,
        );
        await expectHealthy(session, sandbox);
      } finally {
        session.close();
      }
    });
  });

  describe('as an expression', () => {
    it.each(expressionAttacks)('$name', async (attack) => {
      const session = sandbox.session('ws-attacked');
      try {
        expectContained(
          await outcomeOf(() => session.evaluate([attack.source], normalScope())[0] ?? null),
          attack.expect,
        );
        await expectHealthy(session, sandbox);
      } finally {
        session.close();
      }
    });
  });
});
