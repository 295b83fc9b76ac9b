import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../engine/json.js';
import type { ExpressionScope } from '../engine/node.js';
import { IsolateSandbox } from '../engine/sandbox/isolate-sandbox.js';
import { SandboxError, type SandboxErrorKind, type SandboxSession } from '../engine/sandbox/types.js';

function scopeOf(parts: Partial<ExpressionScope> = {}): ExpressionScope {
  return {
    input: { amount: 21, name: 'Ada' },
    trigger: { body: { plan: 'pro', seats: 3 } },
    nodes: new Map<string, Json>([['a', { x: 5, list: [1, 2, 3] }]]),
    run: { id: 'run-1' },
    workspace: { id: 'ws-1', name: 'Acme' },
    vars: { region: 'eu' },
    ...parts,
  };
}

/** The SandboxError a call fails with (fails the test if it does not fail with one). */
async function failure(call: () => unknown): Promise<SandboxError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(SandboxError);
    return error as SandboxError;
  }
  throw new Error('expected the call to fail');
}

async function expectFailure(
  call: () => unknown,
  kind: SandboxErrorKind,
  message?: string | RegExp,
  line?: number,
) {
  const error = await failure(call);
  expect(error.kind).toBe(kind);
  if (message !== undefined) expect(error.message).toMatch(message);
  if (line !== undefined) expect(error.line).toBe(line);
  return error;
}

let sandbox: IsolateSandbox;
let session: SandboxSession;

beforeAll(() => {
  sandbox = new IsolateSandbox({ limits: { cpuTimeoutMs: 500 } });
  session = sandbox.session('ws-main');
});

afterAll(() => {
  session.close();
  sandbox.dispose();
});

describe('expressions', () => {
  it('keep their types', () => {
    const values = session.evaluate(
      [
        'input.amount * 2',
        'input.amount > 20',
        'input.name',
        '({ total: input.amount, tags: ["a"] })',
        'null',
        '[1, "two", false]',
      ],
      scopeOf(),
    );
    expect(values).toEqual([42, true, 'Ada', { total: 21, tags: ['a'] }, null, [1, 'two', false]]);
  });

  it('see every part of the scope', () => {
    const values = session.evaluate(
      [
        'trigger.body.plan',
        'nodes.a.output.x',
        'nodes.a.output.list.length',
        'run.id',
        'workspace.name',
        'vars.region',
        '$.input.amount',
        'Object.keys(nodes)',
      ],
      scopeOf(),
    );
    expect(values).toEqual(['pro', 5, 3, 'run-1', 'Acme', 'eu', 21, ['a']]);
  });

  it('follow JSON.stringify for what JSON cannot hold', async () => {
    const values = session.evaluate(
      [
        'undefined',
        '() => 1',
        'Symbol("s")',
        'NaN',
        '[undefined, () => 1]',
        '({ a: undefined, b: 1 })',
        'new Date(0)',
      ],
      scopeOf(),
    );
    expect(values).toEqual([null, null, null, null, [null, null], { b: 1 }, '1970-01-01T00:00:00.000Z']);
    await expectFailure(() => session.evaluate(['10n'], scopeOf()), 'output', /BigInt/);
    await expectFailure(() => session.evaluate(['Promise.resolve(1)'], scopeOf()), 'output', /promise/);
  });

  it('see node outputs as the run adds them, and the input of each call', () => {
    const nodes = new Map<string, Json>([['a', { x: 1 }]]);
    const s = sandbox.session('ws-main');
    expect(s.evaluate(['nodes.a.output.x', 'typeof nodes.b'], scopeOf({ nodes }))).toEqual([1, 'undefined']);
    nodes.set('b', { y: 2 });
    expect(s.evaluate(['nodes.b.output.y', 'input'], scopeOf({ nodes, input: 7 }))).toEqual([2, 7]);
    expect(s.evaluate(['input'], scopeOf({ nodes, input: 'eight' }))).toEqual(['eight']);
    // A scope without b (a fresh map) is honoured too.
    expect(s.evaluate(['Object.keys(nodes)'], scopeOf({ nodes: new Map([['c', 3]]) }))).toEqual([['c']]);
    s.close();
  });

  it('report a runtime error with its line in the expression', async () => {
    await expectFailure(
      () => session.evaluate(['1', 'input.missing\n  .deeper'], scopeOf()),
      'runtime',
      /Cannot read properties of undefined/,
      2,
    );
  });

  it('report a syntax error with its line', async () => {
    await expectFailure(
      () => session.evaluate(['input.amount +\n * 2'], scopeOf()),
      'syntax',
      /SyntaxError/,
      2,
    );
  });

  it('cannot close the wrapper to run statements at compile time', async () => {
    await expectFailure(() => session.evaluate(['1); }); (function () { return (1'], scopeOf()), 'syntax');
  });

  it('cannot change what they see', async () => {
    await expectFailure(() => session.evaluate(['input.amount = 1'], scopeOf()), 'runtime', /read only/);
    await expectFailure(
      () => session.evaluate(['nodes.a.output.list.push(4)'], scopeOf()),
      'runtime',
      /not extensible/,
    );
    expect(session.evaluate(['nodes.a.output.list'], scopeOf())).toEqual([[1, 2, 3]]);
  });
});

describe('code nodes', () => {
  it('return an object computed from input and scope', async () => {
    const result = await session.runCode(
      'const plan = input.usage > 80 ? "professional" : "starter";\nreturn { plan, seats: trigger.body.seats, x: nodes.a.output.x, region: vars.region };',
      { usage: 90 },
      scopeOf(),
    );
    expect(result).toEqual({ value: { plan: 'professional', seats: 3, x: 5, region: 'eu' }, logs: [] });
  });

  it('run async code', async () => {
    expect((await session.runCode('return await Promise.resolve(1)', null, scopeOf())).value).toBe(1);
    const chained =
      'const a = await Promise.resolve(2);\nconst b = await new Promise((resolve) => resolve(a * 3));\nreturn { b };';
    expect((await session.runCode(chained, null, scopeOf())).value).toEqual({ b: 6 });
    expect((await session.runCode('return Promise.resolve(5)', null, scopeOf())).value).toBe(5);
  });

  it('capture console output, bounded', async () => {
    const result = await session.runCode(
      'console.log("total", input.n, { a: 1 });\nconsole.warn("careful");\nconsole.error(new Error("bad").message);\nconsole.info([1]);\nreturn null',
      { n: 3 },
      scopeOf(),
    );
    expect(result.logs).toEqual(['total 3 {"a":1}', '[warn] careful', '[error] bad', '[info] [1]']);
    const flood = await session.runCode(
      'for (let i = 0; i < 1000; i++) console.log("line " + i); return 1',
      null,
      scopeOf(),
    );
    expect(flood.logs).toHaveLength(201);
    expect(flood.logs.at(-1)).toMatch(/800 more log line\(s\) dropped/);
  });

  it('report a runtime error with its line', async () => {
    await expectFailure(
      () => session.runCode('const a = 1;\nconst b = null;\nreturn b.value;', null, scopeOf()),
      'runtime',
      /Cannot read properties of null/,
      3,
    );
    const nested = 'function inner() {\n  throw new Error("deep");\n}\nreturn inner();';
    await expectFailure(() => session.runCode(nested, null, scopeOf()), 'runtime', /^deep$/, 2);
    await expectFailure(
      () => session.runCode('\n\nawait null;\nthrow new TypeError("after await");', null, scopeOf()),
      'runtime',
      'TypeError: after await',
      4,
    );
  });

  it('report a syntax error with its line', async () => {
    await expectFailure(
      () => session.runCode('const a = 1;\nconst b = ;\nreturn a;', null, scopeOf()),
      'syntax',
      /SyntaxError: Unexpected token/,
      2,
    );
    await expectFailure(
      () => session.runCode('if (true) {\n  return 1;\n', null, scopeOf()),
      'syntax',
      /SyntaxError/,
    );
  });

  it('turn thrown non-errors into messages', async () => {
    await expectFailure(
      () => session.runCode('throw "plain string"', null, scopeOf()),
      'runtime',
      /^plain string$/,
    );
    await expectFailure(
      () => session.runCode('throw { message: "object" }', null, scopeOf()),
      'runtime',
      /^object$/,
    );
    await expectFailure(
      () => session.runCode('await Promise.reject(new RangeError("nope"))', null, scopeOf()),
      'runtime',
      'RangeError: nope',
    );
  });

  it('let user errors and objects shadow prototype properties', async () => {
    const code =
      'class NotFound extends Error {\n  constructor(m) { super(m); this.name = "NotFound"; }\n}\nthrow new NotFound("no such deal");';
    await expectFailure(() => session.runCode(code, null, scopeOf()), 'runtime', 'NotFound: no such deal');
    const shadow =
      'const o = {}; o.toString = () => "custom"; function P() {}\nP.prototype = Object.create(Object.prototype); P.prototype.constructor = P;\nreturn [String(o), new P().constructor === P]';
    expect((await session.runCode(shadow, null, scopeOf())).value).toEqual(['custom', true]);
  });

  it('get a private, mutable copy of their input', async () => {
    const input = { items: [1, 2] };
    const code = 'input.items.push(3);\ninput.extra = true;\nreturn input;';
    expect((await session.runCode(code, input, scopeOf())).value).toEqual({ items: [1, 2, 3], extra: true });
    expect((await session.runCode('return input', input, scopeOf())).value).toEqual({ items: [1, 2] });
    expect(input).toEqual({ items: [1, 2] });
    expect((await session.runCode('const input = 5;\nreturn input;', null, scopeOf())).value).toBe(5);
  });

  it('return null for undefined and reject what JSON cannot hold', async () => {
    expect((await session.runCode('const x = 1;', null, scopeOf())).value).toBeNull();
    await expectFailure(() => session.runCode('return 10n', null, scopeOf()), 'output', /BigInt/);
    await expectFailure(
      () => session.runCode('const a = {}; a.self = a; return a', null, scopeOf()),
      'output',
      /circular/,
    );
  });

  it('fail a promise that can never settle', async () => {
    await expectFailure(
      () => session.runCode('await new Promise(() => {})', null, scopeOf()),
      'runtime',
      /never settles/,
    );
  });

  it('do not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(session.runCode('return 1', null, scopeOf(), { signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });
});

describe('limits', () => {
  it('time out an infinite loop; the next call on the workspace works', async () => {
    const s = sandbox.session('ws-limits');
    await expectFailure(
      () => s.runCode('while (true) {}', null, scopeOf()),
      'timeout',
      'Script execution timed out after 500ms',
    );
    await expectFailure(
      () => s.evaluate(['(() => { for (;;) {} })()'], scopeOf(), { timeoutMs: 50 }),
      'timeout',
      /after 50ms/,
    );
    expect(s.evaluate(['nodes.a.output.x + 1'], scopeOf())).toEqual([6]);
    expect((await s.runCode('return input.amount + 1', { amount: 1 }, scopeOf())).value).toBe(2);
    s.close();
  });

  it('time out an async infinite loop; the next call works', async () => {
    const s = sandbox.session('ws-limits');
    await expectFailure(() => s.runCode('for (;;) await null;', null, scopeOf()), 'timeout');
    await expectFailure(
      () => s.runCode('(async () => { for (;;) await null; })();\nreturn 1;', null, scopeOf()),
      'timeout',
    );
    expect(
      (await s.runCode('return await Promise.resolve(input.amount)', { amount: 4 }, scopeOf())).value,
    ).toBe(4);
    s.close();
  });

  it('stop a memory bomb; the pool replaces the isolate and the next call works', async () => {
    const small = new IsolateSandbox({ limits: { memoryMb: 16, cpuTimeoutMs: 10_000 } });
    const s = small.session('ws-bomb');
    expect(s.evaluate(['nodes.a.output.x'], scopeOf())).toEqual([5]);
    const before = small.isolates().map((isolate) => isolate.serial);
    await expectFailure(
      () =>
        s.runCode(
          'const hoard = [];\nfor (;;) hoard.push("x".repeat(1000) + Math.random());',
          null,
          scopeOf(),
        ),
      'memory',
      /memory limit of 16 MB/,
    );
    // Same session: a new isolate, and the run's scope is pushed again transparently.
    expect(s.evaluate(['nodes.a.output.x', 'input.amount'], scopeOf())).toEqual([5, 21]);
    expect(small.isolates().map((isolate) => isolate.serial)).not.toEqual(before);
    s.close();
    small.dispose();
  });

  it('refuse a collection or array too large for the heap instead of crashing the process', async () => {
    // A generous CPU limit: the guard, not the clock, must be what stops the loop, even on a busy
    // machine. Sessions cannot raise the server's limits (issue 11), so this sandbox's own is generous.
    const generous = new IsolateSandbox({ limits: { cpuTimeoutMs: 30_000 } });
    const roomy = generous.session('ws-guards');
    await expectFailure(
      () => roomy.runCode('const m = new Map(); for (let i = 0; ; i++) m.set(i, i);', null, scopeOf()),
      'runtime',
      /Map size/,
    );
    await expectFailure(
      () => session.runCode('return new Array(2 ** 30).fill(0).length', null, scopeOf()),
      'runtime',
      /sandbox limit/,
    );
    expect((await session.runCode('return new Array(1000).fill(1).length', null, scopeOf())).value).toBe(
      1000,
    );
    roomy.close();
    generous.dispose();
  });
});

describe('isolation', () => {
  const probes: Array<[string, string, Json]> = [
    ['process is not there', 'typeof process', 'undefined'],
    ['require is not there', 'typeof require', 'undefined'],
    [
      'module and Buffer are not there',
      '[typeof module, typeof Buffer, typeof setTimeout]',
      ['undefined', 'undefined', 'undefined'],
    ],
    [
      'the constructor chain ends in the isolate',
      '(() => 0).constructor("return typeof process")()',
      'undefined',
    ],
    [
      'the global object is the isolate one',
      'Object.getOwnPropertyNames(Function("return this")()).filter((k) => ["process", "require", "Buffer", "global", "console", "module", "setTimeout"].includes(k))',
      [],
    ],
  ];

  it.each(probes)('from an expression: %s', (_name, expression, expected) => {
    expect(session.evaluate([expression], scopeOf())).toEqual([expected]);
  });

  it.each(probes)('from code: %s', async (_name, expression, expected) => {
    expect((await session.runCode(`return ${expression};`, null, scopeOf())).value).toEqual(expected);
  });

  it('has no `this` to climb from', async () => {
    await expectFailure(
      () => session.runCode('return this.constructor.constructor("return process")()', null, scopeOf()),
      'runtime',
      /Cannot read properties of undefined/,
    );
    await expectFailure(
      () => session.evaluate(['this.constructor'], scopeOf()),
      'runtime',
      /Cannot read properties of undefined/,
    );
  });

  it('keeps nothing a run writes globally for the next run', async () => {
    const first = sandbox.session('ws-leak');
    await expectFailure(
      () => first.runCode('globalThis.leak = 1;', null, scopeOf()),
      'runtime',
      /not extensible/,
    );
    await expectFailure(
      () => first.runCode('Object.defineProperty(globalThis, "leak", { value: 1 });', null, scopeOf()),
      'runtime',
      /not extensible/,
    );
    expect(
      (await first.runCode('Function("leak = 1")(); var local = 2; return typeof leak;', null, scopeOf()))
        .value,
    ).toBe('undefined');
    await first.runCode('/(secret-[0-9]+)/.exec("token secret-42");', null, scopeOf());
    first.close();
    const second = sandbox.session('ws-leak');
    expect(
      (
        await second.runCode(
          'return [typeof globalThis.leak, typeof local, typeof RegExp.$1, typeof RegExp.lastMatch];',
          null,
          scopeOf(),
        )
      ).value,
    ).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
    expect(second.evaluate(['typeof leak'], scopeOf())).toEqual(['undefined']);
    second.close();
  });

  it('refuses prototype pollution of intrinsics', async () => {
    for (const attack of [
      'Object.prototype.polluted = 1',
      '({}).__proto__.polluted = 1',
      'Array.prototype.push = () => 0',
      'input.__proto__.polluted = 1',
      'Object.prototype.toString = () => "x"',
    ]) {
      await expectFailure(() => session.runCode(attack, { a: 1 }, scopeOf()), 'runtime', /TypeError/);
    }
    expect((await session.runCode('return [({}).polluted, [].push(1)]', null, scopeOf())).value).toEqual([
      null,
      1,
    ]);
  });

  it('has every reachable intrinsic frozen', async () => {
    const walk = `
      const seen = new Set(), open = [];
      const queue = [globalThis, Object.getPrototypeOf(async function* () {}), Object.getPrototypeOf(function* () {}), Object.getPrototypeOf([][Symbol.iterator]())];
      while (queue.length) {
        const v = queue.pop();
        if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
        seen.add(v);
        if (!Object.isFrozen(v)) open.push(String(v.name || typeof v));
        queue.push(Object.getPrototypeOf(v));
        for (const k of Reflect.ownKeys(v)) {
          const d = Object.getOwnPropertyDescriptor(v, k);
          queue.push(d.value, d.get, d.set);
        }
      }
      return { open, count: seen.size };`;
    const { value } = await session.runCode(walk, null, scopeOf());
    expect(value).toMatchObject({ open: [] });
    expect((value as { count: number }).count).toBeGreaterThan(500);
  });

  it('gives each workspace its own isolates', async () => {
    const a = sandbox.session('ws-A');
    const b = sandbox.session('ws-B');
    a.evaluate(['1'], scopeOf());
    b.evaluate(['1'], scopeOf());
    const byWorkspace = new Map(sandbox.isolates().map((isolate) => [isolate.workspaceId, isolate.serial]));
    expect(byWorkspace.get('ws-A')).toBeDefined();
    expect(byWorkspace.get('ws-B')).toBeDefined();
    expect(byWorkspace.get('ws-A')).not.toBe(byWorkspace.get('ws-B'));
    a.close();
    b.close();
  });
});

describe('pool', () => {
  it('spreads sessions over isolatesPerWorkspace warm isolates', () => {
    const pooled = new IsolateSandbox({ isolatesPerWorkspace: 2 });
    const sessions = [pooled.session('ws'), pooled.session('ws'), pooled.session('ws')];
    for (const s of sessions) expect(s.evaluate(['1 + 1'], scopeOf())).toEqual([2]);
    expect(pooled.isolates()).toHaveLength(2);
    for (const s of sessions) s.close();
    pooled.dispose();
  });

  it('evicts idle isolates beyond maxIsolates, least recently used first', () => {
    const pooled = new IsolateSandbox({ maxIsolates: 2 });
    for (const workspace of ['w1', 'w2', 'w3']) {
      const s = pooled.session(workspace);
      expect(s.evaluate(['workspace.id'], scopeOf({ workspace: { id: workspace } }))).toEqual([workspace]);
      s.close();
    }
    expect(pooled.isolates().map((isolate) => isolate.workspaceId)).toEqual(['w2', 'w3']);
    pooled.dispose();
  });

  it('drops a closed run and refuses work after dispose', () => {
    const pooled = new IsolateSandbox();
    const s = pooled.session('ws');
    s.evaluate(['1'], scopeOf());
    s.close();
    expect(() => s.evaluate(['1'], scopeOf())).toThrow(/closed/);
    pooled.dispose();
    expect(() => pooled.session('ws').evaluate(['1'], scopeOf())).toThrow(/disposed/);
  });
});
