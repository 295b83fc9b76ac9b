import type { PooledIsolate } from './pooled.js';

export interface PoolOptions {
  /** Warm isolates per (workspace, memory limit). */
  isolatesPerWorkspace: number;
  /** Isolates across all workspaces; idle ones beyond it are disposed, least recently used first. */
  maxIsolates: number;
  /** A new warm isolate (in the sandbox process, or inline). */
  create: (workspaceId: string, memoryMb: number) => PooledIsolate;
}

export interface IsolateInfo {
  serial: number;
  workspaceId: string;
  memoryMb: number;
  openSessions: number;
}

/**
 * Warm isolates, per workspace: created on first use, never shared between workspaces,
 * replaced when one dies (memory limit), evicted when idle and over the global cap.
 */
export class IsolatePool {
  private readonly groups = new Map<string, PooledIsolate[]>();
  /** Every live isolate, least recently leased first (Set keeps insertion order). */
  private readonly recency = new Set<PooledIsolate>();
  private disposed = false;

  constructor(private readonly options: PoolOptions) {}

  /** An isolate for one session of `workspaceId`; give it back with release(). */
  lease(workspaceId: string, memoryMb: number): PooledIsolate {
    if (this.disposed) throw new Error('The sandbox has been disposed');
    const key = `${memoryMb}\u0000${workspaceId}`;
    const group = (this.groups.get(key) ?? []).filter((warm) => {
      if (!warm.alive) this.recency.delete(warm);
      return warm.alive;
    });
    let warm: PooledIsolate;
    if (group.length < this.options.isolatesPerWorkspace) {
      warm = this.options.create(workspaceId, memoryMb);
      group.push(warm);
    } else {
      warm = group.reduce((least, candidate) =>
        candidate.openSessions < least.openSessions ? candidate : least,
      );
    }
    this.groups.set(key, group);
    warm.openSessions += 1;
    this.recency.delete(warm);
    this.recency.add(warm);
    this.evictIdle();
    return warm;
  }

  release(warm: PooledIsolate): void {
    warm.openSessions = Math.max(0, warm.openSessions - 1);
  }

  info(): IsolateInfo[] {
    return [...this.recency]
      .filter((warm) => warm.alive)
      .map(({ serial, workspaceId, memoryMb, openSessions }) => ({
        serial,
        workspaceId,
        memoryMb,
        openSessions,
      }));
  }

  dispose(): void {
    this.disposed = true;
    for (const warm of this.recency) warm.dispose();
    this.recency.clear();
    this.groups.clear();
  }

  private evictIdle(): void {
    for (const warm of this.recency) {
      if (this.recency.size <= this.options.maxIsolates) return;
      if (warm.alive && warm.openSessions > 0) continue;
      warm.dispose();
      this.recency.delete(warm);
      const key = `${warm.memoryMb}\u0000${warm.workspaceId}`;
      const rest = (this.groups.get(key) ?? []).filter((other) => other !== warm);
      if (rest.length > 0) this.groups.set(key, rest);
      else this.groups.delete(key);
    }
  }
}
