import type { WorkflowSettings } from '../document.js';

/**
 * Per-workflow limits (document `settings`, DESIGN §5): `concurrency` caps the runs of a
 * workflow executing at once, `rateLimit` caps how many runs start per window. The queue worker
 * enforces them across all workers with Redis (redis-limiter.ts); the in-process dispatcher
 * enforces them in one process with LocalLimits below.
 */
export interface WorkflowLimits {
  concurrency?: number;
  rateLimit?: { max: number; perMs: number };
}

/** The limits of one job: what to count them under (the workflow id) and their values. */
export interface JobLimits {
  key: string;
  limits: WorkflowLimits;
}

export function limitsFromSettings(workflowId: string, settings: WorkflowSettings): JobLimits | undefined {
  const limits: WorkflowLimits = {};
  if (settings.concurrency !== undefined) limits.concurrency = settings.concurrency;
  if (settings.rateLimit !== undefined) limits.rateLimit = settings.rateLimit;
  return limits.concurrency === undefined && limits.rateLimit === undefined
    ? undefined
    : { key: workflowId, limits };
}

/**
 * The limits held in memory, for one process (embedded mode). `check` says whether a job may
 * start now; `begin`/`end` bracket its execution.
 */
export class LocalLimits {
  private readonly running = new Map<string, number>();
  private readonly starts = new Map<string, number[]>();

  /** 0: may start now. > 0: ms until the rate window lets it start. -1: wait for a run of the workflow to end. */
  check(job: JobLimits, countsAsStart: boolean, now: number): number {
    const { concurrency, rateLimit } = job.limits;
    if (concurrency !== undefined && (this.running.get(job.key) ?? 0) >= concurrency) return -1;
    if (rateLimit && countsAsStart) {
      const window = this.window(job.key, rateLimit.perMs, now);
      if (window.length >= rateLimit.max) return Math.max(1, window[0]! + rateLimit.perMs - now);
    }
    return 0;
  }

  begin(job: JobLimits, countsAsStart: boolean, now: number): void {
    this.running.set(job.key, (this.running.get(job.key) ?? 0) + 1);
    if (job.limits.rateLimit && countsAsStart)
      this.window(job.key, job.limits.rateLimit.perMs, now).push(now);
  }

  end(job: JobLimits): void {
    const count = (this.running.get(job.key) ?? 1) - 1;
    if (count <= 0) this.running.delete(job.key);
    else this.running.set(job.key, count);
  }

  /** Start times inside the window ending now, oldest first (older ones are dropped). */
  private window(key: string, perMs: number, now: number): number[] {
    let times = this.starts.get(key);
    if (!times) {
      times = [];
      this.starts.set(key, times);
    }
    let expired = 0;
    while (expired < times.length && times[expired]! <= now - perMs) expired += 1;
    if (expired > 0) times.splice(0, expired);
    return times;
  }
}
