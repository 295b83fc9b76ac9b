import type { Json } from '../json.js';
import type { CodeRunResult, ExpressionScope } from '../node.js';
import { codeModeOf, maxSourceLength } from './compile.js';
import { decodeError, ERROR_MARK } from './errors.js';
import type { IsolatePool } from './isolate-pool.js';
import { ScopePusher } from './scope-pusher.js';
import { SandboxError, type SandboxLimits, type SandboxSession } from './types.js';
import { PENDING, type WarmIsolate } from './warm-isolate.js';

/**
 * One run's view of its workspace's isolate. The run's scope lives inside the isolate
 * under `runKey` and is pushed lazily (ScopePusher); close() drops it.
 *
 * Results follow JSON.stringify: `undefined`, functions and symbols become null at the top
 * level and vanish inside objects (null inside arrays), NaN and Infinity become null, a
 * Date becomes its ISO string, toJSON is honoured. Values JSON cannot represent at all
 * (BigInt, cycles) are a SandboxError of kind 'output'.
 */
export class IsolateSession implements SandboxSession {
  private warm: WarmIsolate | undefined;
  private readonly pusher = new ScopePusher();
  private closed = false;

  constructor(
    private readonly pool: IsolatePool,
    private readonly workspaceId: string,
    private readonly limits: SandboxLimits,
    private readonly runKey: number,
  ) {}

  evaluate(expressions: readonly string[], scope: ExpressionScope, options?: { timeoutMs?: number }): Json[] {
    this.assertOpen();
    if (expressions.length === 0) return [];
    const timeoutMs = this.timeoutFor(options?.timeoutMs);
    const warm = this.isolate();
    const ids: number[] = [];
    for (const source of expressions) {
      checkLength(source, maxSourceLength.expression, 'An expression');
      ids.push(warm.compile('expression', source, timeoutMs));
    }
    const push = this.pusher.prepare(scope, scope.input);
    const raw = this.cross(
      warm,
      'evaluate',
      [this.runKey, push.header, push.inputBlob, ids.join(','), ...push.texts],
      timeoutMs,
    );
    if (raw.startsWith(ERROR_MARK)) throw decodeError(raw);
    return JSON.parse(raw) as Json[];
  }

  async runCode(
    source: string,
    input: Json,
    scope: ExpressionScope,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<CodeRunResult> {
    this.assertOpen();
    // Every crossing is synchronous, so the signal can only stop a call from starting.
    options?.signal?.throwIfAborted();
    const timeoutMs = this.timeoutFor(options?.timeoutMs);
    checkLength(source, maxSourceLength.code, 'The code');
    const warm = this.isolate();
    const id = warm.compile(codeModeOf(source), source, timeoutMs);
    const push = this.pusher.prepare(scope, input);
    const started = performance.now();
    let raw = this.cross(
      warm,
      'runCode',
      [this.runKey, push.header, push.inputBlob, id, ...push.texts],
      timeoutMs,
    );
    if (raw === PENDING) {
      // The promise settled (or never will) in the microtask checkpoint that ended the call.
      const left = Math.max(1, Math.ceil(timeoutMs - (performance.now() - started)));
      raw = this.cross(warm, 'collect', [this.runKey], left);
    }
    if (raw.startsWith(ERROR_MARK)) throw decodeError(raw);
    const { value, logs } = JSON.parse(raw) as CodeRunResult;
    return { value, logs };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.warm !== undefined) {
      this.warm.dropRun(this.runKey);
      this.pool.release(this.warm);
      this.warm = undefined;
    }
  }

  /** A call's CPU budget: options may shorten the session's limit, never extend it. */
  private timeoutFor(requested: number | undefined): number {
    const limit = this.limits.cpuTimeoutMs;
    const ms = requested !== undefined && requested > 0 ? Math.min(requested, limit) : limit;
    return Math.max(1, Math.ceil(ms));
  }

  /** The session's isolate; a new one (and a full re-push) if the last one died. */
  private isolate(): WarmIsolate {
    if (this.warm?.alive === true) return this.warm;
    if (this.warm !== undefined) this.pool.release(this.warm);
    this.warm = this.pool.lease(this.workspaceId, this.limits.memoryMb);
    this.pusher.reset();
    return this.warm;
  }

  private cross(
    warm: WarmIsolate,
    entry: 'evaluate' | 'runCode' | 'collect',
    args: (string | number)[],
    timeoutMs: number,
  ): string {
    try {
      return warm.call(entry, args, timeoutMs);
    } catch (error) {
      // The run's state inside the isolate may be half-updated: rebuild it next time.
      this.pusher.reset();
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('This sandbox session is closed');
  }
}

function checkLength(source: string, max: number, what: string): void {
  if (source.length > max) throw new SandboxError('syntax', `${what} is longer than ${max} characters`);
}
