import { DelayedError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { DispatchJob } from '../dispatch.js';
import type { Runtime, RuntimeLogger } from '../runtime.js';
import { connectionOf, namespaceOf, prefixOf, type QueueTopology, type RunJobData } from './names.js';
import { RedisLimiter, type Lease } from './redis-limiter.js';

export interface QueueWorkerOptions {
  runtime: Runtime;
  topology: QueueTopology;
  /** Runs this process executes at once (REVFLOW_WORKER_CONCURRENCY). */
  concurrency: number;
  /**
   * BullMQ job lock, renewed while a run executes. A killed worker's jobs go to another worker
   * after about this long (stalled-job check), and its workflow-limit leases expire after it.
   * Default 30 s.
   */
  lockDurationMs?: number;
  logger?: RuntimeLogger;
}

const silent: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The executing side of queue mode: a BullMQ worker that hands each run job to the runtime.
 *
 * - Which process executes a run is decided by the engine's claim (atomic in Postgres), not by
 *   the queue: a job for a run held by a live executor completes without executing, and a
 *   stalled job of a killed worker is executed by whoever claims the run once the dead
 *   executor's heartbeat is stale. BullMQ's stalled-job recovery and the sweeper may both
 *   hand a run on; the claim lets one of them execute it.
 * - Per-workflow limits (settings.concurrency, settings.rateLimit) are taken in Redis before
 *   the claim; a job over a limit goes back to the queue delayed, never dropped.
 */
export class QueueWorker {
  private worker: Worker<RunJobData> | undefined;
  private readonly redis: Redis;
  private readonly limiter: RedisLimiter;
  private readonly logger: RuntimeLogger;
  private readonly lockDurationMs: number;

  constructor(private readonly options: QueueWorkerOptions) {
    this.logger = options.logger ?? silent;
    this.lockDurationMs = options.lockDurationMs ?? 30_000;
    this.redis = new Redis(options.topology.redisUrl, { maxRetriesPerRequest: 3 });
    this.redis.on('error', (error) => this.logger.error({ err: error }, 'limiter redis error'));
    this.limiter = new RedisLimiter({
      redis: this.redis,
      namespace: namespaceOf(options.topology),
      leaseMs: this.lockDurationMs,
      onError: (error) => this.logger.warn({ err: error }, 'renewing a workflow lease failed'),
    });
  }

  async start(): Promise<void> {
    const { topology } = this.options;
    this.worker = new Worker<RunJobData>(topology.queueName, (job, token) => this.process(job, token), {
      connection: connectionOf(topology),
      prefix: prefixOf(topology),
      concurrency: this.options.concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.lockDurationMs,
      // A stalled job is handed on; the claim keeps a second delivery from running anything twice.
      maxStalledCount: 3,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'queue worker error'));
    this.worker.on('failed', (job, error) => {
      if (job)
        this.logger.error(
          { err: error, runId: job.data.runId, attempts: job.attemptsMade },
          'run job failed',
        );
    });
    await this.worker.waitUntilReady();
  }

  /**
   * Stop taking jobs and wait for the running ones, at most `timeoutMs`. Resolves true when
   * they all finished; false when some still run (the caller then exits, and their runs are
   * taken over like after a crash).
   */
  async close(timeoutMs?: number): Promise<boolean> {
    const closing = this.worker?.close() ?? Promise.resolve();
    let finished = true;
    if (timeoutMs === undefined) await closing;
    else {
      let timer: NodeJS.Timeout | undefined;
      finished = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (finished) await this.redis.quit().catch(() => this.redis.disconnect());
    return finished;
  }

  private async process(job: Job<RunJobData>, token: string | undefined): Promise<void> {
    const data = job.data;
    const dispatched: DispatchJob = {
      runId: data.runId,
      workspaceId: data.workspaceId,
      workflowId: data.workflowId,
      versionId: data.versionId,
      reason: data.start ? 'start' : 'wake',
    };
    const limits = await this.options.runtime.limitsFor(dispatched);
    let lease: Lease | undefined;
    if (limits) {
      const admission = await this.limiter.acquire(limits, data.runId, data.start);
      if (!admission.ok) {
        // Over the workflow's limit: back to the queue, delayed; the slot goes to other jobs.
        await job.moveToDelayed(Date.now() + admission.retryInMs, token);
        throw new DelayedError();
      }
      lease = admission.lease;
    }
    try {
      const run = await this.options.runtime.runJob(dispatched);
      // A second delivery (a stalled job come back, a sweep): whoever holds the run finishes it.
      if (!run) this.logger.info({ runId: data.runId }, 'run not taken: held by a live executor or over');
    } finally {
      await lease
        ?.release()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'releasing a workflow lease failed'));
    }
  }
}
