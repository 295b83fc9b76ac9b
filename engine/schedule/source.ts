import type { ScheduleSpec } from './spec.js';

/** One schedule trigger of an active workflow version. */
export interface ScheduledTrigger {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  /** The `trigger.schedule` node. */
  nodeId: string;
  config: ScheduleSpec;
}

/** Where the scheduler learns what to fire: `api/` implements it over the workflows table. */
export interface ScheduleSource {
  /** Every schedule trigger of every active workflow's active version. */
  listScheduled(): Promise<ScheduledTrigger[]>;
  /** The tick time of the last run this trigger started, if any (for the `runOnce` policy). */
  lastFiredAt?(workflowId: string, nodeId: string): Promise<Date | undefined>;
}

/** Fires schedule ticks: in-process timers (embedded) or BullMQ job schedulers (queue mode). */
export interface Scheduler {
  start(): Promise<void>;
  /** Re-read the source now: call it after a workflow is activated, deactivated or republished. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** What identifies a trigger's timing: a change of version or of config replaces its timer. */
export function fingerprintOf(trigger: ScheduledTrigger): string {
  const { cron, timezone, everyMinutes, missedTickPolicy } = trigger.config;
  return JSON.stringify([
    trigger.versionId,
    cron ?? null,
    timezone ?? null,
    everyMinutes ?? null,
    missedTickPolicy,
  ]);
}
