import { nextTick, type ScheduleSpec } from './spec.js';

/** Timers are re-armed at least this often, so a long wait is never one huge timeout. */
const MAX_TIMEOUT_MS = 30_000;

/**
 * Calls `onTick(tickMs)` at every tick of a schedule (croner computes the ticks), with the
 * tick's exact scheduled time. A timer that fires late fires that tick late (the caller
 * decides whether it was missed) and resumes with the first tick after now.
 */
export class TickTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly spec: ScheduleSpec,
    private readonly onTick: (tickMs: number) => void,
  ) {}

  start(now = Date.now()): void {
    this.arm(now);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(afterMs: number): void {
    if (this.stopped) return;
    const tick = nextTick(this.spec, afterMs);
    if (tick === undefined) return;
    const wait = Math.min(Math.max(0, tick - Date.now()), MAX_TIMEOUT_MS);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      const now = Date.now();
      if (now < tick) return this.arm(afterMs);
      this.onTick(tick);
      this.arm(Math.max(tick, now));
    }, wait);
    this.timer.unref();
  }
}
