import type { Runtime, RuntimeLogger } from '../runtime.js';
import { catchUpMissedTicks, DEFAULT_MISSED_AFTER_MS, fireTick, tickToFire } from './fire.js';
import { fingerprintOf, type ScheduledTrigger, type Scheduler, type ScheduleSource } from './source.js';
import { TickTimer } from './tick-timer.js';

export interface EmbeddedSchedulerOptions {
  runtime: Runtime;
  source: ScheduleSource;
  logger?: RuntimeLogger;
  /** Re-read the source this often, for changes nobody called refresh() for. Default 60 s. */
  syncIntervalMs?: number;
  missedAfterMs?: number;
}

const silent: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Schedule triggers in embedded mode: one in-process timer per trigger. Each tick starts its
 * run under an id derived from the tick, so even two processes scheduling the same workflow
 * start one run per tick.
 */
export class EmbeddedScheduler implements Scheduler {
  private readonly timers = new Map<string, { fingerprint: string; timer: TickTimer }>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private stopped = false;
  private readonly logger: RuntimeLogger;

  constructor(private readonly options: EmbeddedSchedulerOptions) {
    this.logger = options.logger ?? silent;
  }

  async start(): Promise<void> {
    const triggers = await this.sync();
    await catchUpMissedTicks(this.options.runtime, this.options.source, triggers, this.logger);
    this.syncTimer = setInterval(
      () => void this.refresh().catch(() => undefined),
      this.options.syncIntervalMs ?? 60_000,
    );
    this.syncTimer.unref();
  }

  async refresh(): Promise<void> {
    // One sync at a time; a refresh during a sync waits for it, then syncs again.
    while (this.syncing) await this.syncing.catch(() => undefined);
    await this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    await this.syncing?.catch(() => undefined);
    for (const { timer } of this.timers.values()) timer.stop();
    this.timers.clear();
  }

  /** Start timers for new or changed triggers, stop those of triggers that are gone. */
  private async sync(): Promise<ScheduledTrigger[]> {
    let triggers: ScheduledTrigger[] = [];
    const run = (async () => {
      triggers = await this.options.source.listScheduled();
      if (this.stopped) return;
      const wanted = new Map(triggers.map((trigger) => [`${trigger.workflowId}/${trigger.nodeId}`, trigger]));
      for (const [key, entry] of this.timers) {
        const trigger = wanted.get(key);
        if (!trigger || fingerprintOf(trigger) !== entry.fingerprint) {
          entry.timer.stop();
          this.timers.delete(key);
        }
      }
      for (const [key, trigger] of wanted) {
        if (this.timers.has(key)) continue;
        const timer = new TickTimer(trigger.config, (tickMs) => void this.fire(trigger, tickMs));
        this.timers.set(key, { fingerprint: fingerprintOf(trigger), timer });
        timer.start();
      }
    })();
    this.syncing = run;
    try {
      await run;
    } finally {
      if (this.syncing === run) this.syncing = undefined;
    }
    return triggers;
  }

  private async fire(trigger: ScheduledTrigger, tickMs: number): Promise<void> {
    const now = new Date();
    const tick = tickToFire(
      trigger.config,
      tickMs,
      now.getTime(),
      this.options.missedAfterMs ?? DEFAULT_MISSED_AFTER_MS,
    );
    if (tick === undefined) {
      this.logger.warn(
        { workflowId: trigger.workflowId, nodeId: trigger.nodeId, tick: tickMs },
        'skipped a missed schedule tick',
      );
      return;
    }
    try {
      await fireTick(this.options.runtime, trigger, tick, now);
    } catch (error) {
      this.logger.error(
        { err: error, workflowId: trigger.workflowId, nodeId: trigger.nodeId },
        'a schedule tick failed to start its run',
      );
    }
  }
}
