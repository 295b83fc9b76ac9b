import type { Json } from '../json.js';
import type { CodeRunResult, ExpressionScope } from '../node.js';
import { StepFailure } from '../errors.js';
import { decodeError, ERROR_MARK } from './errors.js';
import type { IsolatePool } from './isolate-pool.js';
import { IsolateLost, type CallSpec, type PooledIsolate } from './pooled.js';
import { ScopePusher } from './scope-pusher.js';
import type { SandboxLimits, SandboxSession } from './types.js';

export interface SessionLimits extends SandboxLimits {
  /** Longest result text a call may hand back (the step output limit). */
  maxResultBytes: number;
}

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
  private warm: PooledIsolate | undefined;
  private readonly pusher = new ScopePusher();
  private closed = false;
  /** Asynchronous code calls of this run not answered yet (parallel branches may overlap). */
  private inFlight = 0;
  /** The last asynchronous call: the next one is sent after it settles (pushes build on it). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: IsolatePool,
    private readonly workspaceId: string,
    private readonly limits: SessionLimits,
    private readonly runKey: number,
  ) {}

  evaluate(
    expressions: readonly string[],
    scope: ExpressionScope,
    options?: { timeoutMs?: number; maxResultBytes?: number },
  ): Json[] {
    this.assertOpen();
    if (expressions.length === 0) return [];
    // A code call of this run still out there: its push must be settled before this one's.
    if (this.inFlight > 0) this.warm?.settleAll?.();
    const raw = this.cross(options, (warm, call) => warm.evaluate(expressions, call), scope, scope.input);
    if (raw.startsWith(ERROR_MARK)) throw decodeError(raw);
    return JSON.parse(raw) as Json[];
  }

  runCode(
    source: string,
    input: Json,
    scope: ExpressionScope,
    options?: { timeoutMs?: number; signal?: AbortSignal; maxResultBytes?: number },
  ): Promise<CodeRunResult> {
    try {
      this.assertOpen();
      // A crossing cannot be interrupted, so the signal can only stop a call from starting.
      options?.signal?.throwIfAborted();
      if (this.isolate().runCodeAsync !== undefined) return this.runCodeAsync(source, input, scope, options);
      const raw = this.cross(options, (warm, call) => warm.runCode(source, call), scope, input);
      if (raw.startsWith(ERROR_MARK)) throw tooLargeOr(decodeError(raw));
      const { value, logs } = JSON.parse(raw) as CodeRunResult;
      return Promise.resolve({ value, logs });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** runCode over an asynchronous crossing (the sandbox process): same answers, same retries. */
  private runCodeAsync(
    source: string,
    input: Json,
    scope: ExpressionScope,
    options: { timeoutMs?: number; maxResultBytes?: number } | undefined,
  ): Promise<CodeRunResult> {
    const timeoutMs = this.timeoutFor(options?.timeoutMs);
    const maxResultChars = Math.min(options?.maxResultBytes ?? Infinity, this.limits.maxResultBytes);
    const attempt = async (): Promise<CodeRunResult> => {
      for (let round = 1; ; round++) {
        this.assertOpen();
        const warm = this.isolate();
        this.inFlight += 1;
        let raw: string;
        try {
          raw = await warm.runCodeAsync!(
            source,
            { runKey: this.runKey, push: this.pusher.prepare(scope, input), timeoutMs, maxResultChars },
            (error) => {
              this.inFlight -= 1;
              if (error !== undefined) this.pusher.reset();
            },
          );
        } catch (error) {
          if (error instanceof IsolateLost && round < 3) continue;
          throw error;
        }
        if (raw.startsWith(ERROR_MARK)) throw tooLargeOr(decodeError(raw));
        const { value, logs } = JSON.parse(raw) as CodeRunResult;
        return { value, logs };
      }
    };
    const result = this.tail.then(attempt, attempt);
    this.tail = result.catch(() => undefined);
    return result;
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

  /**
   * One crossing. An isolate lost before the call reached it (its process was replaced) is
   * replaced and the call sent once more; any other failure leaves the run's state inside the
   * isolate unknown, so it is rebuilt on the next call.
   */
  private cross(
    options: { timeoutMs?: number; maxResultBytes?: number } | undefined,
    send: (warm: PooledIsolate, call: CallSpec) => string,
    scope: ExpressionScope,
    input: Json,
  ): string {
    const timeoutMs = this.timeoutFor(options?.timeoutMs);
    const maxResultChars = Math.min(options?.maxResultBytes ?? Infinity, this.limits.maxResultBytes);
    for (let attempt = 1; ; attempt++) {
      try {
        const warm = this.isolate();
        return send(warm, {
          runKey: this.runKey,
          push: this.pusher.prepare(scope, input),
          timeoutMs,
          maxResultChars,
        });
      } catch (error) {
        this.pusher.reset();
        if (error instanceof IsolateLost && attempt < 3) continue;
        throw error;
      }
    }
  }

  /** A call's CPU budget: options may shorten the session's limit, never extend it. */
  private timeoutFor(requested: number | undefined): number {
    const limit = this.limits.cpuTimeoutMs;
    const ms = requested !== undefined && requested > 0 ? Math.min(requested, limit) : limit;
    return Math.max(1, Math.ceil(ms));
  }

  /** The session's isolate; a new one (and a full re-push) if the last one died. */
  private isolate(): PooledIsolate {
    if (this.warm?.alive === true) return this.warm;
    if (this.warm !== undefined) this.pool.release(this.warm);
    this.warm = undefined;
    this.warm = this.pool.lease(this.workspaceId, this.limits.memoryMb);
    this.pusher.reset();
    return this.warm;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('This sandbox session is closed');
  }
}

/**
 * A result the isolate refused as larger than the step output limit is the step's output being
 * too large (the engine's own code for it), found before the host copied a byte of it.
 */
function tooLargeOr(error: Error): Error {
  const limit = /larger than the step output limit of (\d+) bytes/.exec(error.message)?.[1];
  if (limit === undefined) return error;
  return new StepFailure(
    `The step's output is over the limit of ${limit} bytes (refused inside the sandbox, before it was copied out)`,
    'output_too_large',
  );
}
