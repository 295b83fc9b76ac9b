/**
 * Known attack shapes against the sandbox (issue 7), shared by the sandbox-level suite
 * (tests/sandbox-escapes.test.ts) and the live-server one (tests/hardening-escapes-live.test.ts).
 * Each attack is a code node body and, where it means something, an expression; `expect` says
 * how it must end: an error of one of the given sandbox kinds, or a harmless value.
 *
 * The scope the attacks are written against: `input` is `{ n: 1 }` (code) or the run's input,
 * `trigger.body.plan` exists, and `nodes.a.output` is `{ x: 5 }`.
 */
import type { Json } from '../../engine/json.js';
import type { SandboxErrorKind } from '../../engine/sandbox/types.js';

export type Outcome = { error: readonly SandboxErrorKind[] } | { value: Json };

export interface Attack {
  name: string;
  code: string;
  expect: Outcome;
  /** The same attack as an expression, when that makes sense. */
  expression?: { source: string; expect?: Outcome };
}

export const fails = (...kinds: SandboxErrorKind[]): Outcome => ({ error: kinds });
export const yields = (value: Json): Outcome => ({ value });
const runtime = fails('runtime');
const stopped = fails('timeout', 'memory', 'runtime');

export const attacks: Attack[] = [
  // ---- constructor chains and Function via prototypes ----------------------------------
  {
    name: 'this.constructor.constructor("return process")()',
    code: 'return this.constructor.constructor("return process")()',
    expect: runtime,
    expression: { source: 'this.constructor.constructor("return process")()' },
  },
  {
    name: 'arrow function constructor → Function',
    code: 'return (() => 0).constructor("return typeof process")()',
    expect: yields('undefined'),
    expression: { source: '(() => 0).constructor("return typeof process")()' },
  },
  {
    name: 'input.constructor.constructor',
    code: 'return input.constructor.constructor("return typeof require")()',
    expect: yields('undefined'),
    expression: { source: 'input.constructor.constructor("return typeof require")()' },
  },
  {
    name: 'Function("return this")() global object',
    code: 'const g = Function("return this")(); return [typeof g.process, typeof g.require, typeof g.global, g === globalThis]',
    expect: yields(['undefined', 'undefined', 'undefined', true]),
    expression: {
      source: '[typeof Function("return this")().process, Function("return this")() === globalThis]',
      expect: yields(['undefined', true]),
    },
  },
  {
    name: 'AsyncFunction constructor via prototype',
    code: 'const AF = Object.getPrototypeOf(async function () {}).constructor;\nreturn await AF("return typeof process")()',
    expect: yields('undefined'),
  },
  {
    name: 'GeneratorFunction constructor via prototype',
    code: 'const GF = Object.getPrototypeOf(function* () {}).constructor;\nreturn GF("yield typeof process")().next().value',
    expect: yields('undefined'),
    expression: {
      source: 'Object.getPrototypeOf(function* () {}).constructor("yield typeof require")().next().value',
      expect: yields('undefined'),
    },
  },
  {
    name: 'indirect eval',
    code: 'return (0, eval)("typeof process + typeof require")',
    expect: yields('undefinedundefined'),
    expression: { source: '(0, eval)("typeof process")', expect: yields('undefined') },
  },
  { name: 'arguments.callee (strict mode)', code: 'return arguments.callee', expect: runtime },
  { name: 'arguments.callee.caller', code: 'return arguments.callee.caller', expect: runtime },
  { name: 'named function .caller', code: 'function f() { return f.caller }\nreturn f()', expect: runtime },
  {
    name: 'sloppy toJSON reading .caller (the runtime is strict, so censored)',
    code: 'return { toJSON: Function("return String(arguments.callee.caller)") }',
    expect: yields('null'),
  },
  {
    name: 'sloppy getter reading .caller during console formatting',
    code: 'let seen;\nconsole.log({ get x() { seen = Function("return String(arguments.callee.caller)")(); return 1 } });\nreturn seen',
    expect: yields('null'),
  },
  {
    name: 'sloppy thenable reading .caller',
    code: 'return { then: Function("resolve", "resolve(String(arguments.callee.caller))") }',
    expect: yields('null'),
  },
  {
    name: 'sloppy Function .caller chain',
    code: 'const c = Function("function g() { return g.caller } return g()")();\nreturn typeof c === "function" ? String(c).includes("process") : c',
    expect: yields(false),
  },

  // ---- Error and stack tricks ----------------------------------------------------------
  {
    name: 'Error.prepareStackTrace to grab frames',
    code: 'Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis());\nreturn new Error("x").stack',
    expect: runtime,
    expression: { source: '(Error.prepareStackTrace = () => 1)' },
  },
  { name: 'Error.stackTraceLimit change', code: 'Error.stackTraceLimit = Infinity', expect: runtime },
  {
    name: 'Error.captureStackTrace shows no host frames',
    code: 'const o = {};\nError.captureStackTrace(o);\nreturn /\\/work\\/|node:internal|node_modules|file:/.test(o.stack)',
    expect: yields(false),
  },
  {
    name: 'stack of a thrown error shows no host frames',
    code: 'try { null.x } catch (e) { return /\\/work\\/|node:internal|node_modules/.test(e.stack) }',
    expect: yields(false),
  },
  {
    name: 'async stack: rejection inside nested async functions',
    code: 'async function a() { await null; throw new Error("nested") }\nasync function b() { return await a() }\nawait b()',
    expect: runtime,
  },

  // ---- Symbol and Proxy tricks ---------------------------------------------------------
  {
    name: 'Symbol.hasInstance on an intrinsic',
    code: 'Object.defineProperty(Object, Symbol.hasInstance, { value: () => true })',
    expect: runtime,
  },
  {
    name: 'Symbol.species on Array',
    code: 'Object.defineProperty(Array, Symbol.species, { get() { return Object } })',
    expect: runtime,
  },
  {
    name: 'Symbol.iterator on Array.prototype',
    code: 'Array.prototype[Symbol.iterator] = function* () { yield "pwned" }',
    expect: runtime,
    expression: { source: '(Array.prototype[Symbol.iterator] = null)' },
  },
  {
    name: 'Symbol.toPrimitive leaking typeof process',
    code: 'return `${{ [Symbol.toPrimitive]: () => typeof process }}`',
    expect: yields('undefined'),
    expression: { source: '`${{ [Symbol.toPrimitive]: () => typeof process }}`' },
  },
  {
    name: 'Symbol.toPrimitive that throws',
    code: 'const o = { [Symbol.toPrimitive]() { throw new Error("prim") } };\nreturn o + 1',
    expect: runtime,
    expression: { source: '({ [Symbol.toPrimitive]() { throw new Error("prim") } }) + 1' },
  },
  {
    name: 'Proxy around globalThis',
    code: 'const p = new Proxy(globalThis, {});\nreturn [typeof p.process, typeof p.require]',
    expect: yields(['undefined', 'undefined']),
  },
  {
    name: 'Proxy result whose traps throw during serialisation',
    code: 'return new Proxy({}, { ownKeys() { throw new Error("trap") } })',
    expect: fails('output'),
    expression: { source: 'new Proxy({}, { ownKeys() { throw new Error("trap") } })' },
  },
  {
    name: 'Proxy array lying about its length',
    code: 'const p = new Proxy([], { get: (t, k) => (k === "length" ? 2 ** 40 : Reflect.get(t, k)) });\nreturn p.includes(1)',
    expect: runtime,
  },
  {
    name: 'getter-length array-like read twice',
    code: 'let n = 0;\nreturn Array.prototype.indexOf.call({ get length() { return n++ ? 2 ** 53 - 1 : 1 } }, 7)',
    expect: yields(-1),
  },
  {
    name: 'Reflect.setPrototypeOf(Object.prototype)',
    code: 'return Reflect.setPrototypeOf(Object.prototype, { polluted: 1 })',
    expect: yields(false),
    expression: {
      source: 'Reflect.setPrototypeOf(Object.prototype, { polluted: 1 })',
      expect: yields(false),
    },
  },

  // ---- prototype pollution -------------------------------------------------------------
  {
    name: 'Object.prototype.polluted',
    code: 'Object.prototype.polluted = 1',
    expect: runtime,
    expression: { source: '(Object.prototype.polluted = 1)' },
  },
  {
    name: '__proto__ of a literal',
    code: '({}).__proto__.polluted = 1',
    expect: runtime,
    expression: { source: '(({}).__proto__.polluted = 1)' },
  },
  {
    name: '__proto__ of the input',
    code: 'input.__proto__.polluted = 1',
    expect: runtime,
    expression: { source: '(input.__proto__.polluted = 1)' },
  },
  {
    name: "replacing the input's own prototype stays private",
    code: 'input.__proto__ = { polluted: 1 };\nreturn [input.polluted, ({}).polluted]',
    expect: yields([1, null]),
  },
  {
    name: 'JSON "__proto__" key merged into an object',
    code: 'const merged = Object.assign({}, JSON.parse(\'{"__proto__": {"polluted": 1}}\'));\nreturn [typeof ({}).polluted, typeof merged.polluted]',
    expect: yields(['undefined', 'number']),
  },
  {
    name: 'Array.prototype.push replaced',
    code: 'Array.prototype.push = () => 0',
    expect: runtime,
    expression: { source: '(Array.prototype.push = () => 0)' },
  },
  {
    name: 'toJSON defined on Object.prototype',
    code: 'Object.defineProperty(Object.prototype, "toJSON", { value: () => "hacked" })',
    expect: runtime,
  },
  {
    name: 'Object.prototype.toString assigned on the prototype',
    code: 'Object.prototype.toString = () => "x"',
    expect: runtime,
  },
  { name: 'delete an intrinsic method', code: 'delete Array.prototype.map', expect: runtime },
  {
    name: 'JSON.stringify replaced',
    code: 'JSON.stringify = () => "\\"hacked\\""',
    expect: runtime,
    expression: { source: '(JSON.stringify = () => "hacked")' },
  },
  {
    name: 'Promise.prototype.then replaced',
    code: 'Promise.prototype.then = function () {}',
    expect: runtime,
  },
  {
    name: 'Function.prototype.call replaced',
    code: 'Function.prototype.call = function () { return "x" }',
    expect: runtime,
  },
  { name: 'Map.prototype.get replaced', code: 'Map.prototype.get = () => "x"', expect: runtime },
  {
    name: 'frozen trigger and node outputs',
    code: 'trigger.body.plan = "free"',
    expect: runtime,
    expression: { source: '(nodes.a.output.x = 0)' },
  },
  {
    name: 'globalThis.leak',
    code: 'globalThis.leak = 1',
    expect: runtime,
    expression: { source: '(globalThis.leak = 1)' },
  },
  {
    name: 'defineProperty on globalThis',
    code: 'Object.defineProperty(globalThis, "leak", { value: 1 })',
    expect: runtime,
  },
  {
    name: 'sloppy global assignment through Function',
    code: 'Function("leak = 1")();\nreturn typeof leak',
    expect: yields('undefined'),
  },

  // ---- async tricks --------------------------------------------------------------------
  // As in Node, a rejection nobody handles fails the call.
  {
    name: 'unhandled rejection left behind',
    code: 'Promise.reject(new Error("later"));\nreturn 1',
    expect: runtime,
  },
  {
    name: 'rejection handled late',
    code: 'const p = Promise.reject(new Error("later"));\np.catch(() => {});\nreturn 1',
    expect: yields(1),
  },
  {
    name: 'microtask loop left running after return',
    code: '(async () => { for (;;) await null })();\nreturn 1',
    expect: fails('timeout'),
  },
  { name: 'async infinite loop', code: 'for (;;) await null', expect: fails('timeout') },
  {
    name: 'returned thenable resolving to a probe',
    code: 'return { then(resolve) { resolve(typeof process) } }',
    expect: yields('undefined'),
  },
  { name: 'returned thenable that never calls back', code: 'return { then() {} }', expect: runtime },
  {
    name: 'returned thenable with a throwing getter',
    code: 'return { get then() { throw new Error("getter") } }',
    expect: runtime,
  },
  {
    name: 'dynamic import()',
    code: 'return await import("node:fs")',
    expect: runtime,
    expression: { source: 'import("fs")', expect: fails('runtime', 'output') },
  },
  { name: 'static import', code: 'import fs from "fs"', expect: fails('syntax') },
  {
    name: 'require()',
    code: 'return require("fs")',
    expect: runtime,
    expression: { source: 'require("child_process")' },
  },
  {
    name: 'process.exit()',
    code: 'process.exit(1)',
    expect: runtime,
    expression: { source: 'process.exit(1)' },
  },

  // ---- size and time -------------------------------------------------------------------
  {
    name: 'huge string',
    code: 'return "x".repeat(2 ** 30)',
    expect: runtime,
    expression: { source: '"x".repeat(2 ** 30)' },
  },
  {
    name: 'huge string result',
    code: 'return "x".repeat(2 ** 27)',
    expect: fails('output', 'memory', 'timeout', 'runtime'),
  },
  {
    name: 'deep recursion',
    code: 'const f = (n) => f(n + 1) + 1;\nreturn f(0)',
    expect: runtime,
    expression: { source: '(function f(n) { return f(n + 1) })(0)' },
  },
  {
    name: 'deeply nested result',
    code: 'let o = {};\nfor (let i = 0; i < 1e5; i++) o = { o };\nreturn o',
    expect: fails('output'),
  },
  {
    name: 'sync infinite loop',
    code: 'while (true) {}',
    expect: fails('timeout'),
    expression: { source: '(() => { for (;;) {} })()' },
  },
  {
    name: 'infinite loop in a getter of the result',
    code: 'return { get x() { for (;;) {} } }',
    expect: fails('timeout'),
    expression: { source: '({ get x() { for (;;) {} } })' },
  },
  { name: 'infinite loop in toJSON', code: 'return { toJSON() { for (;;) {} } }', expect: fails('timeout') },
  {
    name: 'memory bomb: growing array of strings',
    code: 'const a = [];\nfor (;;) a.push("x".repeat(1000) + Math.random())',
    expect: stopped,
  },
  {
    name: 'memory bomb: Map in a loop',
    code: 'const m = new Map();\nfor (let i = 0; ; i++) m.set(i, { i })',
    expect: stopped,
  },
  {
    name: 'memory bomb: one huge fill',
    code: 'return new Array(2 ** 30).fill(0)',
    expect: runtime,
    expression: { source: 'Array(2 ** 27).fill(1).length' },
  },
  {
    name: 'memory bomb: split a huge string',
    code: 'return "ab".repeat(2 ** 27).split("").length',
    expect: stopped,
  },
  {
    name: 'native loop over a huge array-like',
    code: 'return Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1)',
    expect: runtime,
    expression: { source: 'Array(2 ** 31).includes(1)' },
  },
  {
    name: 'huge locale list',
    code: 'return Intl.getCanonicalLocales({ length: 2 ** 40 })',
    expect: runtime,
    expression: { source: '(1).toLocaleString({ length: 2 ** 40 })' },
  },
  {
    name: 'huge argument list through apply',
    code: 'return Math.max.apply(null, { length: 2 ** 26 })',
    expect: runtime,
  },
  {
    name: 'ReDoS in a user regex',
    code: 'return /^(a+)+$/.test("a".repeat(40) + "b")',
    expect: fails('timeout'),
    expression: { source: '/(x+x+)+y/.test("x".repeat(50))' },
  },

  // ---- syntax-level tricks -------------------------------------------------------------
  {
    name: 'with statement (strict mode)',
    code: 'with (globalThis) { return process }',
    expect: fails('syntax'),
  },
  {
    name: 'with statement in sloppy Function',
    code: 'return Function("with ({ a: 1 }) { return typeof process }")()',
    expect: yields('undefined'),
  },
  { name: 'closing the code wrapper early', code: '} }); (function () { {', expect: fails('syntax') },
  {
    name: 'closing the expression wrapper early',
    code: 'return 1',
    expect: yields(1),
    expression: { source: '1); }); globalThis.x = 1; (function () { return (1', expect: fails('syntax') },
  },
  { name: 'HTML comment tricks', code: 'return 1 <!-- 2\n--> 3', expect: yields(1) },

  // ---- results and thrown values -------------------------------------------------------
  {
    name: 'getter on the returned object',
    code: 'return { get probe() { return typeof process } }',
    expect: yields({ probe: 'undefined' }),
    expression: {
      source: '({ get probe() { return typeof require } })',
      expect: yields({ probe: 'undefined' }),
    },
  },
  {
    name: 'getter that throws on the returned object',
    code: 'return { get x() { throw new Error("boom") } }',
    expect: fails('output'),
    expression: { source: '({ get x() { throw new Error("boom") } })', expect: fails('output') },
  },
  {
    name: 'toJSON returning a probe',
    code: 'return { toJSON() { return typeof require } }',
    expect: yields('undefined'),
  },
  {
    name: 'toJSON returning a BigInt',
    code: 'return { toJSON: () => 10n }',
    expect: fails('output'),
    expression: { source: '({ toJSON: () => 10n })', expect: fails('output') },
  },
  {
    name: 'returning a function',
    code: 'return () => process',
    expect: yields(null),
    expression: { source: '() => process', expect: yields(null) },
  },
  {
    name: 'throwing a string',
    code: 'throw "oops"',
    expect: runtime,
    expression: { source: '(() => { throw "oops" })()' },
  },
  { name: 'throwing null', code: 'throw null', expect: runtime },
  { name: 'throwing a Symbol', code: 'throw Symbol("s")', expect: runtime },
  {
    name: 'throwing a Proxy whose traps throw',
    code: 'throw new Proxy({}, { get() { throw new Error("trap") } })',
    expect: runtime,
  },
  {
    name: 'throwing an object with a looping message getter',
    code: 'throw { get message() { for (;;) {} } }',
    expect: fails('timeout'),
  },
  {
    name: 'throwing an object whose message is a probe',
    code: 'throw { get message() { return typeof process } }',
    expect: runtime,
  },

  // ---- realm state between runs ---------------------------------------------------------
  {
    name: 'RegExp legacy statics',
    code: '/(secret)/.exec("a secret");\nreturn [typeof RegExp.$1, typeof RegExp.lastMatch, typeof RegExp.input]',
    expect: yields(['undefined', 'undefined', 'undefined']),
  },
  {
    name: 'realm extras with cross-call state are gone',
    code: 'return [typeof SharedArrayBuffer, typeof Atomics, typeof WebAssembly, typeof FinalizationRegistry]',
    expect: yields(['undefined', 'undefined', 'undefined', 'undefined']),
    expression: {
      source: '[typeof console, typeof setTimeout, typeof queueMicrotask]',
      expect: yields(['undefined', 'undefined', 'undefined']),
    },
  },
];

/** What in a message or stack would show the host: paths of this machine, Node internals. */
export const hostLeak = /\/work\/|node:internal|node_modules|file:\/\//;

/** The attacks that have an expression form, with the outcome that form must have. */
export const expressionAttacks: Array<{ name: string; source: string; expect: Outcome }> = attacks.flatMap(
  (attack) =>
    attack.expression === undefined
      ? []
      : [
          {
            name: attack.name,
            source: attack.expression.source,
            expect: attack.expression.expect ?? attack.expect,
          },
        ],
);
