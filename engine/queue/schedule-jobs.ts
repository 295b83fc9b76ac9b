import type { Job, RepeatOptions, RepeatStrategy } from 'bullmq';
import type { ScheduledTrigger } from '../schedule/source.js';
import { nextTick, type ScheduleSpec } from '../schedule/spec.js';

/** A tick job's data: the trigger it fires for, and the fingerprint of its timing. */
export interface TickJobData {
  trigger: ScheduledTrigger;
  fingerprint: string;
}

/** One BullMQ job scheduler per schedule trigger. No ':' in it: BullMQ builds job ids from it. */
export function schedulerIdOf(trigger: Pick<ScheduledTrigger, 'workflowId' | 'nodeId'>): string {
  return `sched-${trigger.workflowId}-${trigger.nodeId}`;
}

/**
 * Cron ticks are computed by croner, as in embedded mode, so both modes agree on every tick
 * (and on the time zone rules); BullMQ calls this wherever it schedules the next iteration.
 */
export const cronRepeatStrategy: RepeatStrategy = (millis: number, opts: RepeatOptions) =>
  opts.pattern === undefined
    ? undefined
    : nextTick({ cron: opts.pattern, timezone: opts.tz, missedTickPolicy: 'skip' }, millis);

export function repeatOf(spec: ScheduleSpec, now = Date.now()): Omit<RepeatOptions, 'key'> {
  if (spec.everyMinutes !== undefined) {
    // The first iteration at the next multiple of N minutes; BullMQ adds N minutes from there.
    return { every: spec.everyMinutes * 60_000, startDate: nextTick(spec, now) };
  }
  return { pattern: spec.cron, tz: spec.timezone ?? 'Etc/UTC' };
}

/** The scheduled time of a tick job: BullMQ names scheduler jobs `repeat:<scheduler>:<ms>`. */
export function tickTimeOf(job: Job<TickJobData>): number {
  const fromId = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  if (Number.isFinite(fromId) && fromId > 0) return fromId;
  const prevMillis = job.opts.prevMillis;
  return typeof prevMillis === 'number' ? prevMillis : job.timestamp + (job.opts.delay ?? 0);
}
