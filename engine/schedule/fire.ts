import type { Runtime, RuntimeLogger } from '../runtime.js';
import type { ScheduledTrigger, ScheduleSource } from './source.js';
import { previousTick, type ScheduleSpec } from './spec.js';
import { tickRunId } from './tick-run-id.js';

/** A tick that fires later than this after its time counts as missed. */
export const DEFAULT_MISSED_AFTER_MS = 60_000;

/** The trigger's output (and the run's input). */
export interface TickOutput {
  /** The tick's time, ISO 8601. */
  scheduledAt: string;
  /** When the run was started, ISO 8601. */
  firedAt: string;
  /** The tick's time in epoch milliseconds: a stable key for the tick. */
  tick: number;
}

export interface FireResult {
  runId: string;
  /** False when the tick's run existed already (another process fired it). */
  started: boolean;
}

/**
 * Which tick to fire for a tick due at `tickMs` that fires at `nowMs`: the tick itself when on
 * time; when missed, nothing (`skip`) or the most recent tick (`runOnce`), so however many
 * ticks were missed, one catch-up run starts.
 */
export function tickToFire(
  spec: ScheduleSpec,
  tickMs: number,
  nowMs: number,
  missedAfterMs: number,
): number | undefined {
  if (nowMs - tickMs <= missedAfterMs) return tickMs;
  if (spec.missedTickPolicy === 'skip') return undefined;
  return previousTick(spec, nowMs) ?? tickMs;
}

/** Start the tick's run under its derived id; a second delivery of the tick starts nothing. */
export async function fireTick(
  runtime: Runtime,
  trigger: ScheduledTrigger,
  tickMs: number,
  now = new Date(),
): Promise<FireResult> {
  const runId = tickRunId(trigger.workflowId, trigger.nodeId, tickMs);
  const input: TickOutput = {
    scheduledAt: new Date(tickMs).toISOString(),
    firedAt: now.toISOString(),
    tick: tickMs,
  };
  try {
    await runtime.startRun({
      id: runId,
      workspaceId: trigger.workspaceId,
      workflowId: trigger.workflowId,
      versionId: trigger.versionId,
      triggerNodeId: trigger.nodeId,
      input: { ...input },
    });
    return { runId, started: true };
  } catch (error) {
    // The insert conflicted on the primary key: the tick was fired elsewhere. Asking the store
    // (rather than reading a driver's error code) keeps the engine storage-agnostic.
    if (await runtime.engine.store.getRun(runId).catch(() => undefined)) return { runId, started: false };
    throw error;
  }
}

/**
 * At start, for `runOnce` triggers that have fired before and missed ticks since (the process
 * was down): one run for the most recent missed tick. A trigger that never fired has missed
 * nothing (it was just activated).
 */
export async function catchUpMissedTicks(
  runtime: Runtime,
  source: ScheduleSource,
  triggers: readonly ScheduledTrigger[],
  logger: RuntimeLogger,
  now = new Date(),
): Promise<number> {
  let fired = 0;
  if (!source.lastFiredAt) return fired;
  for (const trigger of triggers) {
    if (trigger.config.missedTickPolicy !== 'runOnce') continue;
    try {
      const last = await source.lastFiredAt(trigger.workflowId, trigger.nodeId);
      const previous = previousTick(trigger.config, now.getTime());
      if (!last || previous === undefined || last.getTime() >= previous) continue;
      const result = await fireTick(runtime, trigger, previous, now);
      if (result.started) fired += 1;
      logger.info(
        { workflowId: trigger.workflowId, nodeId: trigger.nodeId, tick: previous },
        'fired a missed schedule tick',
      );
    } catch (error) {
      logger.error(
        { err: error, workflowId: trigger.workflowId },
        'catching up a missed schedule tick failed',
      );
    }
  }
  return fired;
}
