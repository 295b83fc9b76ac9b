import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { wrapperFor, syntaxErrorFrom, type CompileMode } from './compile.js';
import { crossingError } from './errors.js';
import { LRUCache } from 'lru-cache';
import { guardConfigFor, runtimeConfig } from './realm/config.js';
import { realmScripts, type RealmScript } from './realm/scripts.js';
import { SandboxError } from './types.js';

/** The runtime's entry points the host may call (see realm/runtime.js). */
type EntryPoint = 'evaluate' | 'runCode' | 'collect';
type RuntimeFunction = 'validate' | 'register' | 'forget' | 'dropRun' | EntryPoint;
type FunctionRef = ivm.Reference<(...args: never[]) => unknown>;

type CompileResult = { id: number } | { error: SandboxError };

/** Marker runCode returns when the result is a promise that collect() will read. */
export const PENDING = '~';

let nextSerial = 1;

/**
 * V8's heap maximum is this many times the isolate's memory limit. isolated-vm sets the two
 * equal, and then one allocation larger than what is left of the heap — a hash table or
 * dictionary-mode array doubling, `for (let i = 0; ; i++) a[i * 100] = i` — is a fatal OOM
 * (abort) instead of an error. With the heap this much larger and the difference held by a
 * ballast ArrayBuffer that isolated-vm counts against the limit, the user still gets
 * `memoryMb`, isolated-vm's own check ends the isolate cleanly at that limit, and the
 * doubling has room to happen first. Measured (128 MB): dictionary, named-property, Map,
 * push and array-of-arrays loops all ended as a memory-limit error instead of an abort.
 */
const HEADROOM_FACTOR = 8;
/** Calls at least this long get a heap check when they end (see enforceLimit). */
const LIMIT_CHECK_AFTER_MS = 1;

/**
 * One isolate with one context, bootstrapped once into a hardened realm (realm/*.js), plus
 * the cache of user functions compiled in it. Everything here is synchronous: a warm call
 * is one `applySync` on a cached function reference.
 */
export class WarmIsolate {
  readonly serial = nextSerial++;
  private readonly isolate: ivm.Isolate;
  private readonly context: ivm.Context;
  private readonly runtime: Record<RuntimeFunction, FunctionRef>;
  private readonly compiled: LRUCache<string, CompileResult>;
  /** See HEADROOM_FACTOR; held from the host only, unreachable from inside. */
  private readonly ballast: ivm.Reference<unknown> | undefined;
  private nextFile = 1;

  constructor(
    readonly workspaceId: string,
    readonly memoryMb: number,
    compileCacheSize: number,
    /**
     * Give V8 headroom (HEADROOM_FACTOR) — for isolates in the host's own process, where an
     * abort would take the server down. In the sandbox process an abort only ends that process,
     * so isolates there keep V8's heap at the limit, which holds the limit strictly.
     */
    private readonly headroom = false,
  ) {
    this.isolate = new ivm.Isolate({ memoryLimit: headroom ? memoryMb * HEADROOM_FACTOR : memoryMb });
    try {
      this.context = this.isolate.createContextSync();
      this.ballast = headroom ? this.holdBallast(memoryMb) : undefined;
      const api = this.bootstrap(realmScripts.runtime, [JSON.stringify(runtimeConfig)], true);
      this.bootstrap(realmScripts.guards, [JSON.stringify(guardConfigFor(memoryMb))], false);
      const notFrozen = this.bootstrap(realmScripts.harden, [], false);
      if (notFrozen !== '') throw new Error(`sandbox realm left intrinsics unfrozen: ${String(notFrozen)}`);
      this.runtime = this.entryPoints(api as ivm.Reference<Record<RuntimeFunction, unknown>>);
    } catch (error) {
      this.isolate.dispose();
      throw error;
    }
    this.compiled = new LRUCache<string, CompileResult>({
      max: compileCacheSize,
      // Only an eviction frees the function inside: clear() comes with the isolate's end.
      dispose: (result, _key, reason) => {
        if (reason === 'evict' && 'id' in result && this.alive)
          this.runtime.forget.applySync(undefined, [result.id as never]);
      },
    });
  }

  get alive(): boolean {
    return !this.isolate.isDisposed;
  }

  /** Compiles user text once per (isolate, mode, text); returns the function's id. */
  compile(mode: CompileMode, source: string, timeoutMs: number): number {
    const key = cacheKey(mode, source);
    let result = this.compiled.get(key);
    if (result === undefined) {
      result = this.compileFresh(mode, source, timeoutMs);
      this.compiled.set(key, result);
    }
    if ('error' in result) throw result.error;
    return result.id;
  }

  /** One crossing into the runtime. Returns the runtime's encoded answer. */
  call(entry: EntryPoint, args: readonly (string | number)[], timeoutMs: number): string {
    return this.guarded(timeoutMs, () => {
      const started = performance.now();
      const answer = this.runtime[entry].applySync(undefined, args as never[], {
        timeout: timeoutMs,
      }) as string;
      // A call this short allocated at most a few MB (V8 allocates ~1-2 GB/s): not worth 5 µs.
      if (this.headroom && performance.now() - started >= LIMIT_CHECK_AFTER_MS) this.enforceLimit();
      return answer;
    });
  }

  /**
   * With the headroom, isolated-vm's own check only runs at full GCs, so a call may end above
   * the limit without one having happened. If the heap looks over it, compiling a trivial script
   * makes isolated-vm collect garbage and check for real: still over, the isolate is disposed
   * and this call fails as a memory error (its answer is dropped).
   */
  private enforceLimit(): void {
    if (this.isolate.getHeapStatisticsSync().used_heap_size <= this.memoryMb * 1024 * 1024) return;
    this.isolate.compileScriptSync('0').release();
  }

  dropRun(runKey: number): void {
    if (!this.alive) return;
    try {
      this.runtime.dropRun.applySync(undefined, [runKey as never], { timeout: 1_000 });
    } catch {
      // The isolate died meanwhile: nothing is left to drop.
    }
  }

  dispose(): void {
    this.compiled.clear();
    try {
      this.ballast?.release();
    } catch {
      // Gone with its isolate.
    }
    if (this.alive) this.isolate.dispose();
  }

  private compileFresh(mode: CompileMode, source: string, timeoutMs: number): CompileResult {
    const filename = `${mode === 'expression' ? 'expr' : 'code'}-${this.nextFile++}.js`;
    let script: ivm.Script;
    try {
      script = this.isolate.compileScriptSync(wrapperFor(mode, source), { filename });
    } catch (error) {
      if (!this.alive) throw crossingError(error, this.crossingContext(timeoutMs));
      return { error: syntaxErrorFrom(error, source) };
    }
    try {
      return this.guarded(timeoutMs, () => {
        const problem = this.runtime.validate.applySync(undefined, [mode, source] as never[], {
          timeout: timeoutMs,
        }) as string;
        if (problem !== '') return { error: new SandboxError('syntax', problem) };
        const fn = script.runSync(this.context, {
          reference: true,
          timeout: timeoutMs,
        }) as ivm.Reference<unknown>;
        try {
          const id = this.runtime.register.applySync(undefined, [fn.derefInto(), filename] as never[], {
            timeout: timeoutMs,
          });
          return { id: Number(id) };
        } finally {
          fn.release();
        }
      });
    } finally {
      script.release();
    }
  }

  /**
   * The headroom trick (see HEADROOM_FACTOR): an ArrayBuffer counted by isolated-vm's
   * allocator but never touched (calloc'd, so it costs address space, not memory). If the
   * machine cannot even reserve it, the isolate runs without headroom (and the sandbox
   * process is the only line of defence).
   */
  private holdBallast(memoryMb: number): ivm.Reference<unknown> | undefined {
    const bytes = memoryMb * (HEADROOM_FACTOR - 1) * 1024 * 1024;
    try {
      return this.context.evalSync(`new ArrayBuffer(${bytes})`, {
        reference: true,
      }) as ivm.Reference<unknown>;
    } catch {
      return undefined;
    }
  }

  private guarded<T>(timeoutMs: number, crossing: () => T): T {
    try {
      return crossing();
    } catch (error) {
      const mapped = crossingError(error, this.crossingContext(timeoutMs));
      if (mapped.kind === 'timeout') this.disposeIfOverLimit();
      throw mapped;
    }
  }

  /**
   * A call stopped by its timeout may leave the heap over the limit; the next innocent call
   * would then be the one to die of it. Start that workspace afresh instead.
   */
  private disposeIfOverLimit(): void {
    if (!this.alive) return;
    const heap = this.isolate.getHeapStatisticsSync();
    if (heap.used_heap_size > this.memoryMb * 1024 * 1024 * 0.9) this.dispose();
  }

  private crossingContext(timeoutMs: number) {
    return { timeoutMs, memoryMb: this.memoryMb, isolateDisposed: !this.alive };
  }

  /** Runs one realm script (a function expression) and calls it with `args`. */
  private bootstrap(script: RealmScript, args: string[], asReference: boolean): unknown {
    const compiled = this.isolate.compileScriptSync(script.source, { filename: script.filename });
    const fn = compiled.runSync(this.context, { reference: true }) as FunctionRef;
    compiled.release();
    try {
      return asReference
        ? fn.applySync(undefined, args as never[], { result: { reference: true } })
        : fn.applySync(undefined, args as never[]);
    } finally {
      fn.release();
    }
  }

  private entryPoints(
    api: ivm.Reference<Record<RuntimeFunction, unknown>>,
  ): Record<RuntimeFunction, FunctionRef> {
    const names: RuntimeFunction[] = [
      'validate',
      'register',
      'forget',
      'dropRun',
      'evaluate',
      'runCode',
      'collect',
    ];
    const refs = {} as Record<RuntimeFunction, FunctionRef>;
    for (const name of names) refs[name] = api.getSync(name, { reference: true }) as unknown as FunctionRef;
    api.release();
    return refs;
  }
}

/** Long texts are keyed by their hash, so the cache's keys stay small whatever users send. */
function cacheKey(mode: CompileMode, source: string): string {
  if (source.length <= 4096) return `${mode}:${source}`;
  return `${mode}#${createHash('sha256').update(source).digest('base64')}`;
}
