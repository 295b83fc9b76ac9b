/**
 * Issue 11's sandbox, expression and condition attacks (items 1, 3, 4, 6, 9) and new ones
 * written apart from tests/helpers/escape-corpus.ts, each a node of its own workflow run over
 * HTTP by tests/hardening-sandbox.test.ts. `before` says what the same attack did on the
 * code before the fix, when it was broken; the rest were tried and already held.
 */
import type { Json } from '../../engine/json.js';

export type Surface = 'sandbox' | 'expressions' | 'conditions';

export type Expected =
  /** The attacked step fails with one of these error codes (and the message, if given). */
  | { fails: readonly string[]; message?: RegExp }
  /** The run succeeds and the attacked step outputs this. */
  | { output: Json }
  /** Publishing is refused with a 400 naming this field. */
  | { refused: string };

export interface SandboxAttack {
  surface: Surface;
  name: string;
  node: Record<string, unknown>;
  /** Workflow settings (e.g. a sandbox limit the workflow asks for). */
  settings?: Record<string, unknown>;
  /** The run's input. */
  input?: Json;
  expect: Expected;
  /** Also contained when saving the workflow is refused with a 400 naming a field like this. */
  refusedAtSave?: RegExp;
  before?: string;
}

const code = (source: string, extra: Record<string, unknown> = {}) => ({
  type: 'code.javascript',
  config: { source },
  ...extra,
});
const expression = (source: string, extra: Record<string, unknown> = {}) => ({
  type: 'data.set',
  config: { keepInput: false, fields: [{ name: 'result', value: `{{ ${source} }}` }] },
  ...extra,
});
const condition = (rule: Json) => ({ type: 'logic.if', config: { condition: rule } });

const stopped = ['timeout', 'sandbox_memory'];
const runtime = ['sandbox_runtime'];
const budget = ['condition_budget'];
const list300 = Array.from({ length: 300 }, (_, i) => i);
let deepRule: Json = true;
for (let i = 0; i < 100; i++) deepRule = { '!': [deepRule] };

export const sandboxAttacks: SandboxAttack[] = [
  // ---- item 1: heap exhaustion that V8 turns into a process abort -----------------------
  {
    surface: 'sandbox',
    name: 'sparse array grown in a loop (dictionary doubling)',
    node: code('const a = []; for (let i = 0; ; i++) a[i * 100] = i;'),
    settings: { sandbox: { memoryMb: 16 } },
    // The memory error, or the clock first on a busy machine: either way one step, not the server.
    expect: { fails: stopped, message: /memory limit of 16 MB|timed out/ },
    before: 'the whole server process aborted (CALL_AND_RETRY_LAST heap out of memory)',
  },
  {
    surface: 'sandbox',
    name: 'sparse array grown in a loop, default limits',
    node: code('const a = []; for (let i = 0; ; i++) a[i * 100] = i;'),
    expect: { fails: stopped },
    before: 'the whole server process aborted after ~0.7 s',
  },
  {
    surface: 'sandbox',
    name: 'object with named properties grown in a loop',
    node: code('const o = {}; for (let i = 0; ; i++) o["k" + i] = i;'),
    settings: { sandbox: { memoryMb: 16 } },
    expect: { fails: stopped },
  },
  {
    surface: 'expressions',
    name: 'sparse array grown in a loop inside an expression',
    node: expression('(() => { const a = []; for (let i = 0; ; i++) a[i * 100] = i; })()'),
    settings: { sandbox: { memoryMb: 16 } },
    expect: { fails: ['expression'], message: /memory limit of 16 MB|timed out/ },
    before: 'the whole server process aborted',
  },
  // ---- item 3: limits a workflow raises past the server's --------------------------------
  {
    surface: 'sandbox',
    name: 'settings.sandbox.cpuTimeoutMs raised to 8,000 ms around for(;;){}',
    node: code('for (;;) {}'),
    settings: { sandbox: { cpuTimeoutMs: 8_000 } },
    expect: { fails: ['timeout'], message: /after 1000ms/ },
    before: 'ran 8 s and stalled /healthz for every tenant',
  },
  {
    surface: 'sandbox',
    name: "a node's sandbox.cpuTimeoutMs raised to 600,000 ms",
    node: code('for (;;) {}', { sandbox: { cpuTimeoutMs: 600_000 } }),
    expect: { fails: ['timeout'], message: /after 1000ms/ },
    before: 'would have held the host thread for 10 minutes',
  },
  {
    surface: 'sandbox',
    name: 'settings.sandbox.memoryMb raised to 1,024 to hold 300 MB',
    node: code(
      'const parts = []; for (let i = 0; i < 300; i++) parts.push(new Uint8Array(1 << 20)); return parts.length',
    ),
    settings: { sandbox: { memoryMb: 1024 } },
    expect: { fails: ['sandbox_runtime', 'sandbox_memory'] },
    before: 'succeeded: 300 MB on the host under a 128 MB server limit',
  },
  // ---- item 6: buffers outside the allocator ----------------------------------------------
  {
    surface: 'sandbox',
    name: 'resizable ArrayBuffer grown to 512 MB',
    node: code(
      'const b = new ArrayBuffer(0, { maxByteLength: 2 ** 31 }); b.resize(2 ** 29); return b.byteLength',
    ),
    expect: { fails: runtime, message: /resizable ArrayBuffers are not available/ },
    before: 'succeeded; two of them took the server from 153 MB to 2.2 GB',
  },
  {
    surface: 'sandbox',
    name: 'resizable ArrayBuffer through the prototype constructor',
    node: code(
      'const B = new ArrayBuffer(1).constructor; return new B(0, { maxByteLength: 2 ** 30 }).maxByteLength',
    ),
    expect: { fails: runtime, message: /resizable/ },
    before: 'succeeded (1 GB reserved outside the limit)',
  },
  {
    surface: 'sandbox',
    name: 'resizable ArrayBuffer from a subclass, maxByteLength behind a getter',
    node: code(
      'let reads = 0; class B extends ArrayBuffer {}\n' +
        'const b = new B(0, { get maxByteLength() { return reads++ ? 2 ** 31 : 8 } }); return b.byteLength',
    ),
    expect: { fails: runtime, message: /resizable/ },
  },
  {
    surface: 'sandbox',
    name: 'one ArrayBuffer larger than the memory limit',
    node: code('return new ArrayBuffer(2 ** 30).byteLength'),
    expect: { fails: ['sandbox_runtime', 'sandbox_memory'] },
  },
  // ---- item 9: results too large are refused before the host parses them -------------------
  {
    surface: 'sandbox',
    name: 'a 25 MB result',
    node: code('return "x".repeat(25 * 1024 * 1024)'),
    expect: {
      fails: ['output_too_large'],
      message: /over the limit of 5242880 bytes \(refused inside the sandbox/,
    },
    before: 'the host copied and parsed 25 MB before refusing it (/healthz stalled 3.3 s)',
  },
  {
    surface: 'expressions',
    name: 'a 25 MB expression value',
    node: expression('"x".repeat(25 * 1024 * 1024)'),
    expect: { fails: ['expression'], message: /step output limit/ },
    before: 'parsed by the host, then refused as output_too_large',
  },
  // ---- new attacks: sandbox ---------------------------------------------------------------
  {
    surface: 'sandbox',
    name: 'Atomics.wait to block the thread',
    node: code('Atomics.wait(new Int32Array(4), 0, 0)'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'WebAssembly memory grown to 4 GB',
    node: code('const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); m.grow(65535); return 1'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'SharedArrayBuffer',
    node: code('return new SharedArrayBuffer(1024).byteLength'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'string repeat to 2^29',
    node: code('return "ab".repeat(2 ** 28).length'),
    expect: { fails: [...runtime, ...stopped, 'output_too_large'] },
  },
  {
    surface: 'sandbox',
    name: 'padStart to a billion',
    node: code('return "x".padStart(1e9, "yz").length'),
    expect: { fails: [...runtime, ...stopped] },
  },
  {
    surface: 'sandbox',
    name: 'string doubled in a loop',
    node: code('let s = "ab"; const keep = []; for (;;) { s += s; keep.push(s) }'),
    expect: { fails: [...runtime, ...stopped] },
  },
  {
    surface: 'sandbox',
    name: 'catastrophic regex backtracking',
    node: code('return /^(a|a)*$/.test("a".repeat(40) + "b")'),
    expect: { fails: ['timeout'] },
  },
  {
    surface: 'sandbox',
    name: 'Proxy returned, with traps that loop',
    node: code('return new Proxy({}, { ownKeys() { for (;;) {} } })'),
    expect: { fails: ['timeout'] },
  },
  {
    surface: 'sandbox',
    name: 'getter in the result that reads a secret global',
    node: code('return { get v() { return typeof process + typeof require + typeof globalThis.fetch } }'),
    expect: { output: { v: 'undefinedundefinedundefined' } },
  },
  {
    surface: 'sandbox',
    name: 'structuredClone bomb',
    node: code('let o = [1]; for (let i = 0; i < 40; i++) o = [o, o]; return structuredClone(o)'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'shared-reference bomb in the result (2^40 nodes when serialised)',
    node: code('let o = [1]; for (let i = 0; i < 40; i++) o = [o, o]; return o'),
    expect: { fails: [...stopped, 'sandbox_output'] },
  },
  {
    surface: 'sandbox',
    name: 'a result nested 100,000 deep',
    node: code('let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; return o'),
    expect: { fails: ['sandbox_output'] },
  },
  {
    surface: 'sandbox',
    name: 'a Symbol returned',
    node: code('return { s: Symbol("x"), n: 1 }'),
    expect: { output: { n: 1 } },
  },
  {
    surface: 'sandbox',
    name: 'a BigInt returned',
    node: code('return { n: 10n ** 30n }'),
    expect: { fails: ['sandbox_output'] },
  },
  {
    surface: 'sandbox',
    name: 'typed arrays and a Map returned',
    node: code('return { t: new Uint8Array([1, 2]), m: new Map([[1, 2]]), d: new Date(0) }'),
    expect: { output: { t: { 0: 1, 1: 2 }, m: {}, d: '1970-01-01T00:00:00.000Z' } },
  },
  {
    surface: 'sandbox',
    name: 'setTimeout / setInterval',
    node: code('setTimeout(() => {}, 0); return 1'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'prototype pollution of the host through a __proto__ key in the result',
    node: code('return JSON.parse(\'{"__proto__": {"polluted": "yes"}, "a": 1}\')'),
    // An own "__proto__" key, as JSON.parse makes it: data, not a prototype, on both sides.
    expect: { output: JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}') as Json },
  },
  {
    surface: 'sandbox',
    name: 'Error.prepareStackTrace to reach host frames',
    node: code('Error.prepareStackTrace = (e, frames) => frames.map(String); return new Error().stack'),
    expect: { fails: runtime },
  },
  {
    surface: 'sandbox',
    name: 'async loop that outlives the CPU limit',
    node: code('(async () => { for (;;) await null })(); return 1'),
    expect: { fails: ['timeout'] },
  },
  {
    surface: 'sandbox',
    name: 'a flood of ten million microtasks',
    node: code('for (let i = 0; i < 1e7; i++) Promise.resolve(i).then(() => i); return 1'),
    expect: { fails: stopped },
  },
  {
    surface: 'sandbox',
    name: 'recursion until the stack overflows, then keep going in the catch',
    node: code('const f = () => { try { return f() } catch { return f() } }; return f()'),
    expect: { fails: [...stopped, ...runtime] },
  },
  {
    surface: 'sandbox',
    name: 'sort with a comparator that never ends',
    node: code('return [3, 2, 1].sort(() => { for (;;) {} })'),
    expect: { fails: ['timeout'] },
  },
  // ---- new attacks: expressions -------------------------------------------------------------
  {
    surface: 'expressions',
    name: 'for(;;) in an expression with a raised node limit',
    node: expression('(() => { for (;;) {} })()', { sandbox: { cpuTimeoutMs: 60_000 } }),
    expect: { fails: ['expression'], message: /after 1000ms/ },
  },
  {
    surface: 'expressions',
    name: 'a BigInt value',
    node: expression('10n'),
    expect: { fails: ['expression'] },
  },
  {
    surface: 'expressions',
    name: 'this in an expression',
    node: expression('typeof this'),
    expect: { output: { result: 'undefined' } },
  },
  {
    surface: 'expressions',
    name: 'resizable ArrayBuffer in an expression',
    node: expression('new ArrayBuffer(0, { maxByteLength: 2 ** 31 }).resize(2 ** 29)'),
    expect: { fails: ['expression'], message: /resizable/ },
  },
  {
    surface: 'expressions',
    name: 'three hundred expressions in one config',
    node: {
      type: 'data.set',
      config: { fields: Array.from({ length: 300 }, (_, i) => ({ name: `f${i}`, value: `{{ ${i} + 1 }}` })) },
    },
    expect: { refused: 'nodes.attack.config' },
  },
  {
    surface: 'expressions',
    name: 'a hundred expressions in one string',
    node: { type: 'data.set', config: { fields: [{ name: 'x', value: '{{ 1 }}'.repeat(100) }] } },
    expect: { refused: 'nodes.attack.config.fields[0].value' },
  },
  // ---- item 4 and new attacks: json-logic conditions ---------------------------------------
  {
    surface: 'conditions',
    name: 'nested all over three 300-element lists',
    node: condition({ all: [list300, { all: [list300, { all: [list300, { '>=': [{ var: '' }, 0] }] }] }] }),
    expect: { fails: budget, message: /more than 100000 operations/ },
    before: 'blocked the event loop 8.3 s for every tenant',
  },
  {
    surface: 'conditions',
    name: 'reduce that doubles a text per element',
    node: condition({ reduce: [list300, { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'ab'] }),
    expect: { fails: budget, message: /longer than/ },
    before: 'built a 512 MB string on the host before V8 gave up',
  },
  {
    surface: 'conditions',
    name: 'map over a 100,000-element input',
    node: condition({
      some: [{ map: [{ var: 'input.items' }, { '*': [{ var: '' }, 2] }] }, { '<': [{ var: '' }, 0] }],
    }),
    input: { items: Array.from({ length: 100_000 }, (_, i) => i) },
    expect: { fails: budget },
  },
  {
    surface: 'conditions',
    name: 'a rule nested 100 deep',
    node: condition(deepRule),
    expect: { fails: budget, message: /deeper than 64/ },
    refusedAtSave: /config\.condition/,
  },
  {
    surface: 'conditions',
    name: 'method operation to reach constructors',
    node: condition({ method: [{ var: 'input' }, 'constructor'] }),
    expect: { fails: ['node_error'] },
  },
  {
    surface: 'conditions',
    name: 'var through __proto__.constructor',
    node: condition({ '==': [{ var: 'input.__proto__.constructor.name' }, 'Object'] }),
    expect: { output: { n: 1 } },
  },
  {
    surface: 'conditions',
    name: 'missing_some over a huge literal list',
    node: condition({ missing_some: [1, Array.from({ length: 20_000 }, (_, i) => `k${i}`)] }),
    expect: { fails: budget },
  },
];
