import { Worker, type Job } from 'bullmq';
import type { Runtime, RuntimeLogger } from '../runtime.js';
import { DEFAULT_MISSED_AFTER_MS, fireTick, tickToFire } from '../schedule/fire.js';
import { connectionOf, prefixOf, ticksQueueName, type QueueTopology } from './names.js';
import { cronRepeatStrategy, tickTimeOf, type TickJobData } from './schedule-jobs.js';

export interface TickWorkerOptions {
  runtime: Runtime;
  topology: QueueTopology;
  logger?: RuntimeLogger;
  /** Ticks at once; a tick only creates and enqueues a run. Default 4. */
  concurrency?: number;
  lockDurationMs?: number;
  missedAfterMs?: number;
}

const silent: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Takes schedule ticks off the schedule queue (its own queue, so ticks never wait behind
 * runs) and starts each tick's run, which then goes through the runs queue and its limits.
 */
export class TickWorker {
  private worker: Worker<TickJobData> | undefined;
  private readonly logger: RuntimeLogger;

  constructor(private readonly options: TickWorkerOptions) {
    this.logger = options.logger ?? silent;
  }

  async start(): Promise<void> {
    const { topology } = this.options;
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    this.worker = new Worker<TickJobData>(ticksQueueName(topology), (job) => this.process(job), {
      connection: connectionOf(topology),
      prefix: prefixOf(topology),
      concurrency: this.options.concurrency ?? 4,
      lockDuration,
      stalledInterval: lockDuration,
      // The scheduler's next iteration is computed here too: with the same (croner) rules.
      settings: { repeatStrategy: cronRepeatStrategy },
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'schedule worker error'));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job<TickJobData>): Promise<void> {
    const { trigger } = job.data;
    const tickMs = tickTimeOf(job);
    const missedAfterMs = this.options.missedAfterMs ?? DEFAULT_MISSED_AFTER_MS;
    const tick = tickToFire(trigger.config, tickMs, Date.now(), missedAfterMs);
    if (tick === undefined) {
      this.logger.warn(
        { workflowId: trigger.workflowId, nodeId: trigger.nodeId, tick: tickMs },
        'skipped a missed schedule tick',
      );
      return;
    }
    const result = await fireTick(this.options.runtime, trigger, tick);
    if (!result.started) this.logger.info({ runId: result.runId }, 'schedule tick already fired');
  }
}
