import type { Json } from '../json.js';
import type { CodeRunResult, ExpressionScope } from '../node.js';

export interface SandboxLimits {
  /** Heap limit of the workspace's isolates. */
  memoryMb: number;
  /** CPU time one call (expression or code node) may take. */
  cpuTimeoutMs: number;
}

export const defaultSandboxLimits: SandboxLimits = { memoryMb: 128, cpuTimeoutMs: 1_000 };

export type SandboxErrorKind = 'syntax' | 'runtime' | 'timeout' | 'memory' | 'output';

/** An error raised by user code or an expression, or by the sandbox containing it. */
export class SandboxError extends Error {
  constructor(
    readonly kind: SandboxErrorKind,
    message: string,
    /** 1-based line in the user's source, when known. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

/**
 * A run's view of its workspace's sandbox. Every expression and code node of the run goes
 * through one session; nothing one run leaves behind is visible to another run.
 */
export interface SandboxSession {
  /**
   * Evaluate expressions (the text between `{{` and `}}`) against the scope, in one crossing
   * into the isolate. Synchronous: expressions are short, and bounded by the CPU timeout.
   */
  evaluate(
    expressions: readonly string[],
    scope: ExpressionScope,
    options?: { timeoutMs?: number; maxResultBytes?: number },
  ): Json[];
  /** Run a `code.javascript` body: `input` and the scope are visible, `return` gives the output. */
  runCode(
    source: string,
    input: Json,
    scope: ExpressionScope,
    /** `maxResultBytes`: a result text longer than this fails before it leaves the isolate. */
    options?: { timeoutMs?: number; signal?: AbortSignal; maxResultBytes?: number },
  ): Promise<CodeRunResult>;
  /** Release what the run held in the isolate. */
  close(): void;
}

export interface Sandbox {
  /** Open a session for one run, in the workspace's pool of warm isolates. */
  session(workspaceId: string, limits?: Partial<SandboxLimits>): SandboxSession;
  /** Dispose every isolate. */
  dispose(): void;
}
