import { Cron } from 'croner';

/** What happens to ticks that could not fire on time (the scheduler or every worker was down). */
export type MissedTickPolicy = 'skip' | 'runOnce';

/** A schedule trigger's timing: exactly one of `cron` and `everyMinutes`. */
export interface ScheduleSpec {
  cron?: string;
  /** IANA time zone of the cron pattern; default UTC. */
  timezone?: string;
  everyMinutes?: number;
  missedTickPolicy: MissedTickPolicy;
}

const MINUTE_MS = 60_000;
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const patterns = new Map<string, Cron>();

/** Why a time zone is not usable, or undefined when it is an IANA name this runtime knows. */
export function timezoneProblem(timezone: string): string | undefined {
  if (!IANA_NAME.test(timezone)) return `"${timezone}" is not an IANA time zone name (like Europe/Berlin)`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `"${timezone}" is not a known IANA time zone`;
  }
}

/** Why a cron pattern is not usable, or undefined. Five fields, or six with seconds first. */
export function cronProblem(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true, mode: '5-or-6-parts' });
    return undefined;
  } catch (error) {
    return `"${pattern}" is not a valid cron pattern: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

function cronOf(pattern: string, timezone: string | undefined): Cron {
  const key = `${timezone ?? ''}\n${pattern}`;
  let cron = patterns.get(key);
  if (!cron) {
    cron = new Cron(pattern, { paused: true, mode: '5-or-6-parts', timezone: timezone ?? 'Etc/UTC' });
    if (patterns.size >= 1_000) patterns.clear();
    patterns.set(key, cron);
  }
  return cron;
}

/**
 * The first tick strictly after `afterMs`. `everyMinutes` ticks fall on multiples of N minutes
 * since 1970-01-01T00:00Z (every 15 minutes: :00, :15, :30, :45), so every process computes
 * the same ticks.
 */
export function nextTick(spec: ScheduleSpec, afterMs: number): number | undefined {
  if (spec.everyMinutes !== undefined) {
    const every = spec.everyMinutes * MINUTE_MS;
    return (Math.floor(afterMs / every) + 1) * every;
  }
  if (spec.cron === undefined) return undefined;
  return cronOf(spec.cron, spec.timezone).nextRun(new Date(afterMs))?.getTime();
}

/** The last tick at or before `atMs`. */
export function previousTick(spec: ScheduleSpec, atMs: number): number | undefined {
  if (spec.everyMinutes !== undefined) {
    const every = spec.everyMinutes * MINUTE_MS;
    return Math.floor(atMs / every) * every;
  }
  if (spec.cron === undefined) return undefined;
  // previousRuns looks strictly before its reference; +1 ms makes a tick at atMs count.
  return cronOf(spec.cron, spec.timezone)
    .previousRuns(1, new Date(atMs + 1))[0]
    ?.getTime();
}
