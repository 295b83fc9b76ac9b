import { LocalLimits, type JobLimits } from './queue/limits.js';
import type { ClaimedRun, RunStatus } from './store.js';

/** Why a run is dispatched: a new run, a wait that is due, or a sweep that found it unattended. */
export type DispatchReason = 'start' | 'wake' | 'recover';

export interface DispatchJob {
  runId: string;
  workspaceId: string;
  workflowId?: string;
  /** The run's version: its settings hold the workflow's limits. Saves a lookup when given. */
  versionId?: string;
  /** Default 'start'. */
  reason?: DispatchReason;
  /** With 'recover': the run's status when it was found. */
  status?: RunStatus;
  /** With 'wake': when the wait ends (epoch ms), so a wake is enqueued once. */
  wakeAt?: number;
  /** A run this process already holds, so the executor can skip the claim. */
  claimed?: ClaimedRun;
}

/** A new run, or a queued one found again by a sweep, counts against the rate limit; a resume does not. */
export function countsAsStart(job: DispatchJob): boolean {
  const reason = job.reason ?? 'start';
  return reason === 'start' || (reason === 'recover' && job.status === 'queued');
}

/** How a run reaches an executor: in this process, or through BullMQ on Redis. */
export interface Dispatcher {
  dispatch(job: DispatchJob, options?: { delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export type ExecuteFn = (job: DispatchJob) => Promise<unknown>;

export interface InProcessDispatcherOptions {
  /** The workflow limits of a job (from its version's settings); undefined: none. */
  limitsOf?: (job: DispatchJob) => Promise<JobLimits | undefined>;
}

interface Entry {
  job: DispatchJob;
  limits: JobLimits | undefined;
}

/**
 * Runs jobs in this process with bounded concurrency, fair across workspaces: each workspace
 * has its own FIFO and the next free slot goes to the workspaces in turn, so one busy
 * workspace cannot starve the others. A job whose workflow is at its concurrency or rate limit
 * is parked (per workflow, in order) and goes back to the front of its workspace's queue when
 * a run of that workflow ends or the rate window opens.
 */
export class InProcessDispatcher implements Dispatcher {
  private readonly queues = new Map<string, Entry[]>();
  private readonly parked = new Map<string, Entry[]>();
  private readonly parkTimers = new Map<string, NodeJS.Timeout>();
  /** Runs waiting here (queued or parked): a sweep that finds one again adds no second job. */
  private readonly waiting = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly gate = new LocalLimits();
  private running = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly execute: ExecuteFn,
    private readonly concurrency = 64,
    private readonly onError: (error: unknown, job: DispatchJob) => void = () => undefined,
    private readonly options: InProcessDispatcherOptions = {},
  ) {}

  dispatch(job: DispatchJob, options: { delayMs?: number } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The dispatcher is closed'));
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) void this.admit(job);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
      return Promise.resolve();
    }
    return this.admit(job);
  }

  get pending(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    for (const queue of this.parked.values()) count += queue.length;
    return count;
  }

  get active(): number {
    return this.running;
  }

  /** A job dispatched now starts at once (nothing queued ahead of it, a slot free). */
  get hasFreeSlot(): boolean {
    return !this.closed && this.running < this.concurrency && this.queues.size === 0;
  }

  /** Stop taking jobs and wait for the running ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of [...this.timers, ...this.parkTimers.values()]) clearTimeout(timer);
    this.timers.clear();
    this.parkTimers.clear();
    this.queues.clear();
    this.parked.clear();
    this.waiting.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private admit(job: DispatchJob): Promise<void> {
    if (this.waiting.has(job.runId)) return Promise.resolve();
    this.waiting.add(job.runId);
    // A run created held by this executor has no limits (Runtime.startRun only claims then):
    // the hot path enqueues at once.
    const limitsOf = this.options.limitsOf;
    if (job.claimed || !limitsOf) {
      this.enqueue({ job, limits: undefined });
      return Promise.resolve();
    }
    return limitsOf(job).then(
      (limits) => this.enqueue({ job, limits }),
      (error: unknown) => {
        // Without its limits the run still runs: a lookup failure must not lose it.
        this.onError(error, job);
        this.enqueue({ job, limits: undefined });
      },
    );
  }

  private enqueue(entry: Entry): void {
    if (this.closed) return;
    this.queueOf(entry.job.workspaceId).push(entry);
    this.pump();
  }

  private queueOf(workspaceId: string): Entry[] {
    let queue = this.queues.get(workspaceId);
    if (!queue) {
      queue = [];
      this.queues.set(workspaceId, queue);
    }
    return queue;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queues.size > 0) {
      // Map iteration order is insertion order: take the first workspace, then move it last.
      const [workspaceId, queue] = this.queues.entries().next().value as [string, Entry[]];
      const entry = queue.shift()!;
      this.queues.delete(workspaceId);
      if (queue.length > 0) this.queues.set(workspaceId, queue);
      const start = countsAsStart(entry.job);
      const verdict = entry.limits ? this.gate.check(entry.limits, start, Date.now()) : 0;
      if (verdict !== 0) {
        this.park(entry, verdict);
        continue;
      }
      this.run(entry, start);
    }
  }

  private run(entry: Entry, start: boolean): void {
    const { job, limits } = entry;
    this.waiting.delete(job.runId);
    if (limits) this.gate.begin(limits, start, Date.now());
    this.running += 1;
    this.execute(job)
      .catch((error: unknown) => this.onError(error, job))
      .finally(() => {
        this.running -= 1;
        if (limits) {
          this.gate.end(limits);
          this.unpark(limits.key, 1);
        }
        if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
        if (!this.closed) this.pump();
      });
  }

  /** Hold a job until its workflow has room: a run of it ends (-1) or the rate window opens (ms). */
  private park(entry: Entry, verdict: number): void {
    const key = entry.limits!.key;
    const parked = this.parked.get(key) ?? [];
    parked.push(entry);
    this.parked.set(key, parked);
    if (verdict > 0 && !this.parkTimers.has(key)) {
      const timer = setTimeout(() => {
        this.parkTimers.delete(key);
        if (this.closed) return;
        this.unpark(key, entry.limits!.limits.rateLimit?.max ?? 1);
        this.pump();
      }, verdict);
      timer.unref();
      this.parkTimers.set(key, timer);
    }
  }

  /** Put up to `count` parked jobs of a workflow back at the front of their queues, in order. */
  private unpark(key: string, count: number): void {
    const parked = this.parked.get(key);
    if (!parked) return;
    const released = parked.splice(0, count);
    if (parked.length === 0) this.parked.delete(key);
    for (const entry of released.reverse()) this.queueOf(entry.job.workspaceId).unshift(entry);
  }
}
