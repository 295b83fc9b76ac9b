import { Queue } from 'bullmq';
import type { Runtime, RuntimeLogger } from '../runtime.js';
import { catchUpMissedTicks } from '../schedule/fire.js';
import {
  fingerprintOf,
  type ScheduledTrigger,
  type Scheduler,
  type ScheduleSource,
} from '../schedule/source.js';
import { connectionOf, prefixOf, TICK_JOB, ticksQueueName, type QueueTopology } from './names.js';
import { cronRepeatStrategy, repeatOf, schedulerIdOf, type TickJobData } from './schedule-jobs.js';

export interface QueueSchedulerOptions {
  runtime: Runtime;
  source: ScheduleSource;
  topology: QueueTopology;
  logger?: RuntimeLogger;
  /** Re-read the source this often, for changes nobody called refresh() for. Default 60 s. */
  syncIntervalMs?: number;
}

const silent: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Schedule triggers in queue mode: one BullMQ job scheduler per trigger, on the schedule
 * queue. BullMQ keeps one pending job per scheduler and tick, so a tick is delivered once
 * however many workers run (TickWorker takes it); the run id derived from the tick turns even
 * a second delivery into no second run. The API process keeps the schedulers in line with
 * the active workflows; upserts are idempotent, so several API processes may do it.
 */
export class QueueScheduler implements Scheduler {
  readonly queue: Queue<TickJobData>;
  private readonly logger: RuntimeLogger;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<unknown> | undefined;

  constructor(private readonly options: QueueSchedulerOptions) {
    this.logger = options.logger ?? silent;
    this.queue = new Queue<TickJobData>(ticksQueueName(options.topology), {
      connection: connectionOf(options.topology),
      prefix: prefixOf(options.topology),
      settings: { repeatStrategy: cronRepeatStrategy },
    });
  }

  async start(): Promise<void> {
    const triggers = await this.refreshNow();
    await catchUpMissedTicks(this.options.runtime, this.options.source, triggers, this.logger);
    this.syncTimer = setInterval(
      () =>
        void this.refresh().catch((error: unknown) =>
          this.logger.error({ err: error }, 'schedule sync failed'),
        ),
      this.options.syncIntervalMs ?? 60_000,
    );
    this.syncTimer.unref();
  }

  async refresh(): Promise<void> {
    await this.refreshNow();
  }

  async stop(): Promise<void> {
    clearInterval(this.syncTimer);
    await this.syncing?.catch(() => undefined);
    await this.queue.close();
  }

  private async refreshNow(): Promise<ScheduledTrigger[]> {
    while (this.syncing) await this.syncing.catch(() => undefined);
    const run = this.sync();
    this.syncing = run;
    try {
      return await run;
    } finally {
      if (this.syncing === run) this.syncing = undefined;
    }
  }

  /** Upsert the schedulers of new or changed triggers, remove those of triggers that are gone. */
  private async sync(): Promise<ScheduledTrigger[]> {
    const triggers = await this.options.source.listScheduled();
    const wanted = new Map(triggers.map((trigger) => [schedulerIdOf(trigger), trigger]));
    const existing = new Map<string, string | undefined>();
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      existing.set(id, scheduler.template?.data?.fingerprint);
    }
    for (const id of existing.keys()) {
      if (!wanted.has(id)) await this.queue.removeJobScheduler(id);
    }
    for (const [id, trigger] of wanted) {
      const fingerprint = fingerprintOf(trigger);
      // Unchanged schedulers are left alone: upserting replaces the pending tick job.
      if (existing.get(id) === fingerprint) continue;
      await this.queue.upsertJobScheduler(id, repeatOf(trigger.config), {
        name: TICK_JOB,
        data: { trigger, fingerprint },
        // A tick that failed (the database was away) is tried again; its run id keeps it one run.
        opts: {
          removeOnComplete: true,
          removeOnFail: { count: 100 },
          attempts: 3,
          backoff: { type: 'exponential', delay: 1_000 },
        },
      });
      this.logger.info({ workflowId: trigger.workflowId, nodeId: trigger.nodeId }, 'schedule registered');
    }
    return triggers;
  }
}
