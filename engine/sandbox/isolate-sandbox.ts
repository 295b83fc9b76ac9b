import { IsolatePool, type IsolateInfo } from './isolate-pool.js';
import { IsolateSession } from './session.js';
import { defaultSandboxLimits, type Sandbox, type SandboxLimits, type SandboxSession } from './types.js';

export interface IsolateSandboxOptions {
  /** Defaults for every session; a session's own limits override them. */
  limits?: Partial<SandboxLimits>;
  /** Warm isolates per workspace (default 1). */
  isolatesPerWorkspace?: number;
  /** Isolates across all workspaces before idle ones are evicted (default 64). */
  maxIsolates?: number;
  /** Compiled expressions and code bodies kept per isolate (default 1000). */
  compileCacheSize?: number;
}

/** isolated-vm refuses a smaller heap. */
const MIN_MEMORY_MB = 8;

/**
 * The sandbox of DESIGN §6 on isolated-vm: per workspace a few warm isolates, each a
 * hardened, deep-frozen realm that runs keep nothing in; one `applySync` per evaluate()
 * and usually per runCode(). See engine/sandbox/README.md for the design.
 */
export class IsolateSandbox implements Sandbox {
  private readonly limits: SandboxLimits;
  private readonly pool: IsolatePool;
  private nextRunKey = 1;

  constructor(options: IsolateSandboxOptions = {}) {
    this.limits = mergeLimits(defaultSandboxLimits, options.limits);
    this.pool = new IsolatePool({
      isolatesPerWorkspace: Math.max(1, Math.floor(options.isolatesPerWorkspace ?? 1)),
      maxIsolates: Math.max(1, Math.floor(options.maxIsolates ?? 64)),
      compileCacheSize: Math.max(16, Math.floor(options.compileCacheSize ?? 1000)),
    });
  }

  session(workspaceId: string, limits?: Partial<SandboxLimits>): SandboxSession {
    return new IsolateSession(this.pool, workspaceId, mergeLimits(this.limits, limits), this.nextRunKey++);
  }

  /** The live isolates, for metrics and tests. */
  isolates(): IsolateInfo[] {
    return this.pool.info();
  }

  dispose(): void {
    this.pool.dispose();
  }
}

function mergeLimits(base: SandboxLimits, override: Partial<SandboxLimits> | undefined): SandboxLimits {
  const memoryMb = override?.memoryMb ?? base.memoryMb;
  const cpuTimeoutMs = override?.cpuTimeoutMs ?? base.cpuTimeoutMs;
  return {
    memoryMb: Math.max(MIN_MEMORY_MB, Math.floor(memoryMb)),
    cpuTimeoutMs: Math.max(1, Math.ceil(cpuTimeoutMs)),
  };
}
