/**
 * Group commit: calls made while the event loop is busy (same tick, same I/O phase) or while
 * a flush is in flight are handed to ONE flush, e.g. one SQL statement and thus one
 * transaction and one WAL fsync for many runs. Each caller's promise settles with its own
 * outcome once that flush is done, so durability per caller is unchanged.
 */

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatcherOptions {
  /** Most items in one flush; more wait for the next. */
  maxBatch?: number;
  /** Flushes running at once. One keeps flushes of the same run strictly ordered. */
  maxInFlight?: number;
}

export interface BatcherStats {
  /** Calls accepted. */
  calls: number;
  /** Flushes started: each is one database transaction (plus any per-item retries). */
  flushes: number;
  /** Largest batch so far. */
  largestBatch: number;
}

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  readonly stats: BatcherStats = { calls: 0, flushes: 0, largestBatch: 0 };

  /** `flush` returns one outcome per item, in order; it must not throw for one bad item. */
  constructor(
    private readonly flush: (items: I[]) => Promise<Outcome<R>[]>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  add(item: I): Promise<R> {
    this.stats.calls += 1;
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: it runs after the current I/O phase, so calls made by
    // every callback of this loop turn (e.g. many runs resuming on committed results) join.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.start();
    });
  }

  private start(): void {
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
    this.inFlight += 1;
    this.stats.flushes += 1;
    if (batch.length > this.stats.largestBatch) this.stats.largestBatch = batch.length;
    this.flush(batch.map((pending) => pending.item))
      .then(
        (outcomes) => {
          batch.forEach((pending, index) => {
            const outcome = outcomes[index];
            if (outcome === undefined)
              pending.reject(new Error('batch flush returned no outcome for an item'));
            else if (outcome.ok) pending.resolve(outcome.value);
            else pending.reject(outcome.error);
          });
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
        if (this.queue.length === 0 && this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const wake of waiters) wake();
        }
      });
  }
}
