// Runs INSIDE each isolate, once, before guards.js and harden.js. Never imported by Node.
//
// Builds, in a closure no user code can reach, the registry of compiled functions and the
// per-run scope state, and returns the entry points the host calls through references.
// Every intrinsic it needs is captured here, before guards.js wraps or harden.js freezes
// anything, so user code can change nothing the runtime relies on.
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the script's value is this function; the host calls it
(function createRuntime(configText) {
  'use strict';

  const config = JSON.parse(configText);
  const { apply, defineProperty } = Reflect;
  const { freeze } = Object;
  const StringCtor = String;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const FunctionCtor = Function;
  const AsyncFunctionCtor = async function () {}.constructor;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const PromiseCtor = Promise;
  const promiseResolve = Promise.resolve;
  const promiseThen = Promise.prototype.then;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const mapClear = Map.prototype.clear;
  const arrayPush = Array.prototype.push;
  const arrayJoin = Array.prototype.join;
  const stringSplit = String.prototype.split;
  const stringSlice = String.prototype.slice;
  const stringIndexOf = String.prototype.indexOf;
  const stringCharCodeAt = String.prototype.charCodeAt;
  const isArray = Array.isArray;

  const PENDING = '~';
  const LEVEL_PREFIX = freeze({
    log: '',
    debug: '[debug] ',
    info: '[info] ',
    warn: '[warn] ',
    error: '[error] ',
  });

  /** id -> { fn, filename }: compiled user functions, shared by every run of this workspace. */
  const compiled = new Map();
  /** runKey -> run state. */
  const runs = new Map();
  let nextFunctionId = 1;

  // ---- compiled functions -------------------------------------------------------------

  /**
   * Parses a user text the way the host's wrapper will, but as a standalone function body:
   * the Function constructor refuses a body that closes the wrapper early, so a source like
   * `}); evil(); (function () {` cannot run code when the wrapper script is evaluated.
   */
  function validate(mode, source) {
    try {
      if (mode === 'expression') new FunctionCtor('"use strict"; return (\n' + source + '\n);');
      else if (mode === 'async') new AsyncFunctionCtor('"use strict"; {\n' + source + '\n}');
      else new FunctionCtor('"use strict"; {\n' + source + '\n}');
      return '';
    } catch (error) {
      return describe(error).message;
    }
  }

  function register(fn, filename) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('not a function');
    freeze(fn);
    if (fn.prototype !== undefined) freeze(fn.prototype);
    const id = nextFunctionId++;
    apply(mapSet, compiled, [id, freeze({ fn, filename })]);
    return id;
  }

  function forget(id) {
    apply(mapDelete, compiled, [id]);
  }

  // ---- run state ----------------------------------------------------------------------

  function newRun() {
    return {
      blobs: new Map(),
      entries: new Map(),
      nodes: freeze({}),
      parts: { trigger: undefined, run: undefined, workspace: undefined, vars: undefined },
      pending: undefined,
    };
  }

  function runFor(runKey) {
    let run = apply(mapGet, runs, [runKey]);
    if (run === undefined) {
      run = newRun();
      apply(mapSet, runs, [runKey, run]);
    }
    return run;
  }

  function dropRun(runKey) {
    apply(mapDelete, runs, [runKey]);
  }

  /** A JSON text pushed by the host, parsed (and deep-frozen) on first use only. */
  function record(text) {
    return { text, parsed: false, value: undefined };
  }

  function shared(rec) {
    if (!rec.parsed) {
      rec.value = deepFreeze(jsonParse(rec.text));
      rec.parsed = true;
    }
    return rec.value;
  }

  function deepFreeze(root) {
    if (typeof root !== 'object' || root === null) return root;
    const stack = [root];
    while (stack.length > 0) {
      const value = stack.pop();
      freeze(value);
      if (isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (typeof item === 'object' && item !== null) apply(arrayPush, stack, [item]);
        }
      } else {
        for (const key in value) {
          const item = value[key];
          if (typeof item === 'object' && item !== null) apply(arrayPush, stack, [item]);
        }
      }
    }
    return root;
  }

  function blob(run, id) {
    const rec = apply(mapGet, run.blobs, [id]);
    if (rec === undefined) throw new TypeErrorCtor('sandbox: unknown value ' + id);
    return rec;
  }

  /** `nodes.<id>` is `{ output }`; the output is parsed the first time someone reads it. */
  function nodeEntry(rec) {
    const entry = {};
    const output = freeze(() => shared(rec));
    defineProperty(entry, 'output', { get: output, enumerable: true, configurable: false });
    return freeze(entry);
  }

  function rebuildNodes(run) {
    const nodes = {};
    for (const [id, entry] of run.entries) defineProperty(nodes, id, { value: entry, enumerable: true });
    run.nodes = freeze(nodes);
  }

  /**
   * Applies what the host pushed since the last call (see scope-pusher.ts for the format).
   * Idempotent, so a call that failed half-way can simply be repeated with a reset.
   */
  function applyPush(run, header, texts) {
    if (header === '') return;
    const push = jsonParse(header);
    if (push.r === 1) {
      apply(mapClear, run.blobs, []);
      apply(mapClear, run.entries, []);
      run.nodes = freeze({});
      run.parts = { trigger: undefined, run: undefined, workspace: undefined, vars: undefined };
    }
    if (push.c === 1) apply(mapClear, run.entries, []);
    if (push.d !== undefined) for (const id of push.d) apply(mapDelete, run.blobs, [id]);
    if (push.b !== undefined)
      for (const [id, index] of push.b) apply(mapSet, run.blobs, [id, record(texts[index])]);
    if (push.s !== undefined) for (const [part, id] of push.s) run.parts[part] = blob(run, id);
    if (push.n !== undefined || push.c === 1) {
      if (push.n !== undefined)
        for (const [nodeId, id] of push.n) apply(mapSet, run.entries, [nodeId, nodeEntry(blob(run, id))]);
      rebuildNodes(run);
    }
  }

  function scopeOf(run, input, extra) {
    const parts = run.parts;
    const trigger = parts.trigger === undefined ? null : shared(parts.trigger);
    const runInfo = parts.run === undefined ? null : shared(parts.run);
    const workspace = parts.workspace === undefined ? null : shared(parts.workspace);
    const vars = parts.vars === undefined ? null : shared(parts.vars);
    const $ = freeze({ input, trigger, nodes: run.nodes, run: runInfo, workspace, vars });
    return extra === undefined
      ? [input, trigger, run.nodes, runInfo, workspace, vars, $]
      : [input, trigger, run.nodes, runInfo, workspace, vars, extra, $];
  }

  // ---- results and errors ------------------------------------------------------------

  function safeString(value) {
    try {
      return StringCtor(value);
    } catch {
      return '[unprintable value]';
    }
  }

  function truncate(text, max) {
    return text.length > max ? apply(stringSlice, text, [0, max]) + '…' : text;
  }

  /** The 1-based line in the user's text: the first stack frame in its compiled file. */
  function lineIn(stack, filename) {
    if (typeof stack !== 'string' || filename === undefined) return undefined;
    const marker = filename + ':';
    const at = apply(stringIndexOf, stack, [marker]);
    if (at < 0) return undefined;
    let line = 0;
    for (let i = at + marker.length; i < stack.length; i++) {
      const code = apply(stringCharCodeAt, stack, [i]);
      if (code < 48 || code > 57) break;
      line = line * 10 + (code - 48);
    }
    // The wrapper puts the user's text on its second line.
    return line > 1 ? line - 1 : 1;
  }

  /** Reads what it can from anything thrown; user getters run, under the same timeout. */
  function describe(error) {
    let name = 'Error';
    let message;
    let stack;
    try {
      if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
        const n = error.name;
        const m = error.message;
        stack = error.stack;
        if (typeof n === 'string' && n !== '') name = n;
        message = typeof m === 'string' ? m : safeString(error);
      } else {
        message = safeString(error);
      }
    } catch {
      message = 'Unreadable error';
    }
    if (typeof stack !== 'string') stack = undefined;
    const text = name === 'Error' ? message : name + ': ' + message;
    return { message: truncate(text, config.maxErrorChars), stack };
  }

  function encodeError(kind, error, filename, index) {
    const { message, stack } = describe(error);
    const line = kind === 'output' ? undefined : lineIn(stack, filename);
    return (
      '!' +
      jsonStringify({
        kind,
        message: kind === 'output' ? 'Result is not JSON-serialisable: ' + message : message,
        line,
        index,
      })
    );
  }

  function isThenable(value) {
    return (
      ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
      typeof value.then === 'function'
    );
  }

  /** JSON text of a result: JSON.stringify's rules, with a top-level undefined as null. */
  function toJson(value) {
    const text = jsonStringify(value);
    if (text === undefined) return 'null';
    // Checked here, before the text leaves the isolate: the host never copies or parses it.
    // A JSON text has at least as many UTF-8 bytes as characters, so this never refuses early.
    if (text.length > resultLimit) {
      throw new RangeErrorCtor('result is larger than the step output limit of ' + resultLimit + ' bytes');
    }
    return text;
  }

  /** The result limit of the call in progress (the host passes the step output limit). */
  let resultLimit = config.maxResultChars;
  function limitResults(limit) {
    const n = +limit;
    resultLimit = n > 0 && n < config.maxResultChars ? n : config.maxResultChars;
  }

  // ---- console -----------------------------------------------------------------------

  function formatArg(value) {
    if (typeof value === 'string') return value;
    if (
      value === undefined ||
      typeof value === 'function' ||
      typeof value === 'symbol' ||
      typeof value === 'bigint'
    )
      return safeString(value);
    try {
      const text = jsonStringify(value);
      return text === undefined ? safeString(value) : text;
    } catch {
      return safeString(value);
    }
  }

  /** A console whose lines land in `logs`, bounded in count and size. */
  function makeConsole(logs) {
    let chars = 0;
    const write = (level) =>
      freeze(function (...args) {
        if (logs.lines.length >= config.maxLogLines || chars >= config.maxLogChars) {
          logs.dropped++;
          return;
        }
        const parts = [];
        for (let i = 0; i < args.length; i++) apply(arrayPush, parts, [formatArg(args[i])]);
        const line = truncate(LEVEL_PREFIX[level] + apply(arrayJoin, parts, [' ']), config.maxLogLineChars);
        chars += line.length;
        apply(arrayPush, logs.lines, [line]);
      });
    return freeze({
      log: write('log'),
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    });
  }

  function logsOf(logs) {
    if (logs.dropped === 0) return logs.lines;
    return [...logs.lines, '… ' + logs.dropped + ' more log line(s) dropped'];
  }

  function encodeCodeResult(value, logs, filename) {
    let text;
    try {
      text = toJson(value);
    } catch (error) {
      return encodeError('output', error, filename, -1);
    }
    return '{"logs":' + jsonStringify(logsOf(logs)) + ',"value":' + text + '}';
  }

  // ---- entry points -------------------------------------------------------------------

  /** All expressions of one node in one call; returns `[json, ...]` or `!{error}`. */
  function evaluate(runKey, header, inputBlob, ids, limit, ...texts) {
    limitResults(limit);
    const run = runFor(runKey);
    applyPush(run, header, texts);
    const args = scopeOf(run, shared(blob(run, inputBlob)), undefined);
    const idList = apply(stringSplit, ids, [',']);
    const out = [];
    for (let i = 0; i < idList.length; i++) {
      const target = apply(mapGet, compiled, [+idList[i]]);
      if (target === undefined)
        return encodeError(
          'runtime',
          new ErrorCtor('sandbox: expression ' + i + ' is not compiled'),
          undefined,
          i,
        );
      let value;
      try {
        value = apply(target.fn, undefined, args);
        if (isThenable(value)) {
          return encodeError(
            'output',
            new ErrorCtor('an expression cannot return a promise; expressions are synchronous'),
            target.filename,
            i,
          );
        }
      } catch (error) {
        return encodeError('runtime', error, target.filename, i);
      }
      try {
        apply(arrayPush, out, [toJson(value)]);
      } catch (error) {
        return encodeError('output', error, target.filename, i);
      }
    }
    return '[' + apply(arrayJoin, out, [',']) + ']';
  }

  /**
   * Runs a code node. A plain result is returned at once; a promise is settled by the
   * microtask checkpoint that ends this very call, and collect() reads it right after.
   */
  function runCode(runKey, header, inputBlob, id, limit, ...texts) {
    limitResults(limit);
    const run = runFor(runKey);
    applyPush(run, header, texts);
    run.pending = undefined;
    const target = apply(mapGet, compiled, [id]);
    if (target === undefined)
      return encodeError('runtime', new ErrorCtor('sandbox: the code is not compiled'), undefined, -1);
    // The code node gets its own mutable copy of its input; nothing else sees it.
    const input = jsonParse(blob(run, inputBlob).text);
    const logs = { lines: [], dropped: 0 };
    let result;
    try {
      result = apply(target.fn, undefined, scopeOf(run, input, makeConsole(logs)));
      if (!isThenable(result)) return encodeCodeResult(result, logs, target.filename);
    } catch (error) {
      return encodeError('runtime', error, target.filename, -1);
    }
    const slot = { settled: false, ok: false, value: undefined, logs, filename: target.filename };
    run.pending = slot;
    const settle = (ok) => (value) => {
      slot.settled = true;
      slot.ok = ok;
      slot.value = value;
    };
    try {
      apply(promiseThen, apply(promiseResolve, PromiseCtor, [result]), [settle(true), settle(false)]);
    } catch (error) {
      return encodeError('runtime', error, target.filename, -1);
    }
    return PENDING;
  }

  function collect(runKey, limit) {
    limitResults(limit);
    const run = runFor(runKey);
    const slot = run.pending;
    run.pending = undefined;
    if (slot === undefined)
      return encodeError('runtime', new ErrorCtor('sandbox: nothing to collect'), undefined, -1);
    if (!slot.settled) {
      // Nothing outside this call can ever resolve it: the realm has no timers or I/O.
      return encodeError(
        'runtime',
        new ErrorCtor('the code awaited a promise that never settles (the sandbox has no timers or I/O)'),
        undefined,
        -1,
      );
    }
    if (!slot.ok) return encodeError('runtime', slot.value, slot.filename, -1);
    return encodeCodeResult(slot.value, slot.logs, slot.filename);
  }

  return freeze({ validate, register, forget, evaluate, runCode, collect, dropRun, PENDING });
});
