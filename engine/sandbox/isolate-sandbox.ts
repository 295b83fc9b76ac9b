import { InlineIsolate } from './calls.js';
import { IsolatePool, type IsolateInfo } from './isolate-pool.js';
import { SandboxProcess } from './process/process-link.js';
import { RemoteIsolate } from './process/remote-isolate.js';
import { IsolateSession } from './session.js';
import { defaultSandboxLimits, type Sandbox, type SandboxLimits, type SandboxSession } from './types.js';

export interface IsolateSandboxOptions {
  /** The server's limits: every session gets these or lower, never higher. */
  limits?: Partial<SandboxLimits>;
  /** Warm isolates per workspace (default 1). */
  isolatesPerWorkspace?: number;
  /** Isolates across all workspaces before idle ones are evicted (default 64). */
  maxIsolates?: number;
  /** Compiled expressions and code bodies kept per isolate (default 1000). */
  compileCacheSize?: number;
  /**
   * Where isolates live. `process` (the default): in a sandbox process of their own, so a V8
   * heap OOM — which isolated-vm cannot always turn into an error — kills that process and
   * fails one call, never this one. `inline`: in this process (benchmarks, unit tests only).
   */
  isolation?: 'process' | 'inline';
  /** Longest result text a call may hand back; the engine passes a lower step limit per call. */
  maxResultBytes?: number;
}

/** isolated-vm refuses a smaller heap. */
const MIN_MEMORY_MB = 8;
const DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024;

/**
 * The sandbox of DESIGN §6 on isolated-vm: per workspace a few warm isolates, each a
 * hardened, deep-frozen realm that runs keep nothing in; one crossing per evaluate() and per
 * runCode(). See engine/sandbox/README.md for the design.
 */
export class IsolateSandbox implements Sandbox {
  private readonly limits: SandboxLimits;
  private readonly pool: IsolatePool;
  private readonly link: SandboxProcess | undefined;
  private readonly maxResultBytes: number;
  private nextRunKey = 1;

  constructor(options: IsolateSandboxOptions = {}) {
    this.limits = normalise({ ...defaultSandboxLimits, ...definedOnly(options.limits) });
    this.maxResultBytes = Math.max(1, options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES);
    const compileCacheSize = Math.max(16, Math.floor(options.compileCacheSize ?? 1000));
    const link = options.isolation === 'inline' ? undefined : new SandboxProcess();
    this.link = link;
    this.pool = new IsolatePool({
      isolatesPerWorkspace: Math.max(1, Math.floor(options.isolatesPerWorkspace ?? 1)),
      maxIsolates: Math.max(1, Math.floor(options.maxIsolates ?? 64)),
      create: link
        ? (workspaceId, memoryMb) => new RemoteIsolate(link, workspaceId, memoryMb, compileCacheSize)
        : (workspaceId, memoryMb) => new InlineIsolate(workspaceId, memoryMb, compileCacheSize),
    });
  }

  /** A session whose limits are the server's, lowered (never raised) by `limits`. */
  session(workspaceId: string, limits?: Partial<SandboxLimits>): SandboxSession {
    return new IsolateSession(
      this.pool,
      workspaceId,
      { ...clampLimits(this.limits, limits), maxResultBytes: this.maxResultBytes },
      this.nextRunKey++,
    );
  }

  /** The server's limits, which no workflow or node may exceed. */
  get serverLimits(): SandboxLimits {
    return { ...this.limits };
  }

  /** The live isolates, for metrics and tests. */
  isolates(): IsolateInfo[] {
    return this.pool.info();
  }

  /** The sandbox process's pid (undefined when isolates run inline). */
  get processId(): number | undefined {
    return this.link?.pid;
  }

  dispose(): void {
    this.pool.dispose();
    this.link?.dispose();
  }
}

/** Each limit is the lower of the server's and the requested one (DESIGN §6: budgets belong to the server). */
export function clampLimits(
  server: SandboxLimits,
  requested: Partial<SandboxLimits> | undefined,
): SandboxLimits {
  return normalise({
    memoryMb: Math.min(server.memoryMb, requested?.memoryMb ?? Infinity),
    cpuTimeoutMs: Math.min(server.cpuTimeoutMs, requested?.cpuTimeoutMs ?? Infinity),
  });
}

function normalise(limits: SandboxLimits): SandboxLimits {
  return {
    memoryMb: Math.max(MIN_MEMORY_MB, Math.floor(limits.memoryMb)),
    cpuTimeoutMs: Math.max(1, Math.ceil(limits.cpuTimeoutMs)),
  };
}

function definedOnly(limits: Partial<SandboxLimits> | undefined): Partial<SandboxLimits> {
  const out: Partial<SandboxLimits> = {};
  if (limits?.memoryMb !== undefined) out.memoryMb = limits.memoryMb;
  if (limits?.cpuTimeoutMs !== undefined) out.cpuTimeoutMs = limits.cpuTimeoutMs;
  return out;
}
