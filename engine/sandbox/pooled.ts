import type { Push } from './scope-pusher.js';

/**
 * A warm isolate as the pool and the sessions see it, wherever it lives: in this process
 * (InlineIsolate, for tests and benchmarks) or in the sandbox process (RemoteIsolate, the
 * default). One method call is one crossing: compile (cached) and run together.
 */
export interface PooledIsolate {
  readonly serial: number;
  readonly workspaceId: string;
  readonly memoryMb: number;
  /** Sessions currently bound to this isolate; only an isolate with none may be evicted. */
  openSessions: number;
  readonly alive: boolean;
  /** All expressions of one node; returns the runtime's encoded answer (realm/runtime.js). */
  evaluate(sources: readonly string[], call: CallSpec): string;
  /** A code node's body, its promise settled and collected in the same crossing. */
  runCode(source: string, call: CallSpec): string;
  /**
   * The same, answered asynchronously when the isolate lives in another process (the host's
   * event loop goes on meanwhile). `settled` runs synchronously when the answer arrives, before
   * any later call is prepared, with the error if it failed. Absent inline.
   */
  runCodeAsync?(source: string, call: CallSpec, settled: (error?: unknown) => void): Promise<string>;
  /** Wait for every asynchronous call in flight (before a synchronous one of the same run). */
  settleAll?(): void;
  dropRun(runKey: number): void;
  dispose(): void;
}

export interface CallSpec {
  runKey: number;
  push: Push;
  timeoutMs: number;
  /** Longest result text the isolate may hand back (checked before it leaves the isolate). */
  maxResultChars: number;
}

/**
 * The isolate a call was sent to is gone before the call reached it (its process was replaced
 * in between): nothing ran, so the session takes a new isolate and sends the call again.
 */
export class IsolateLost extends Error {
  constructor() {
    super('the sandbox isolate is gone');
    this.name = 'IsolateLost';
  }
}
