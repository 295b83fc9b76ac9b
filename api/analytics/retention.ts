import type { Knex } from 'knex';
import { firstSeenSql } from './first-seen.js';
import { addUnits, scopeSql, subjectSql, truncate, unitsBetween, type Scope, type Unit } from './scope.js';

/**
 * Retention and lifecycle with PostHog's definitions (shared/reference/growth-definitions.md).
 *
 * Retention: a subject's cohort is the period of its FIRST start event (first-time cohorts);
 * it is retained in period k if a return event falls in period k ("on") or in k or any later
 * period ("on or after"). Period 0 is the cohort itself, 100%. Periods are UTC days, ISO weeks
 * (Monday) or calendar months.
 *
 * Lifecycle, per interval: new = active and first seen in this interval; returning = active
 * now and in the previous interval; resurrecting = active now, not in the previous interval,
 * not new; dormant = active in the previous interval but not now (negative).
 */
export interface RetentionGrid {
  unit: Unit;
  mode: 'on' | 'onOrAfter';
  periods: number;
  cohorts: Array<{ start: string; size: number; retained: number[]; percent: number[] }>;
  /** Each period's mean over the cohorts that reached it, weighted by cohort size. */
  weightedMean: number[];
}

export interface LifecycleInterval {
  start: string;
  new: number;
  returning: number;
  resurrecting: number;
  /** Negative, as PostHog plots it below zero. */
  dormant: number;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export async function retentionGrid(
  knex: Knex,
  scope: Scope,
  query: { unit: Unit; periods: number; mode: 'on' | 'onOrAfter'; startEvents: string[]; returnEvents: string[]; to: Date },
): Promise<RetentionGrid> {
  const { unit, periods } = query;
  const lastStart = truncate(query.to, unit);
  const from = addUnits(lastStart, unit, -(periods - 1));
  const to = addUnits(lastStart, unit, 1);
  const subject = subjectSql(scope);
  const where = scopeSql(scope);
  const { rows } = await knex.raw<{ rows: Array<{ kind: string; cohort: Date; period: Date; n: number }> }>(
    `WITH starts AS (
       SELECT f.subject, min(f.at) AS first FROM (${firstSeenSql(scope, ':startEvents')}) f GROUP BY 1),
     cohort AS (
       SELECT subject, date_trunc('${unit}', first AT TIME ZONE 'UTC') AS c FROM starts
        WHERE first >= :from AND first < :to),
     active AS (
       SELECT DISTINCT ${subject} AS subject, date_trunc('${unit}', e.occurred_at AT TIME ZONE 'UTC') AS p FROM events e
        WHERE ${where.sql} AND e.name = ANY(:returnEvents) AND e.occurred_at >= :from AND e.occurred_at < :to
          AND ${subject} IS NOT NULL),
     joined AS (SELECT c.subject, c.c, a.p FROM cohort c JOIN active a ON a.subject = c.subject AND a.p > c.c)
     SELECT 'size' AS kind, c AS cohort, c AS period, count(*)::int AS n FROM cohort GROUP BY c
     UNION ALL SELECT 'on', c, p, count(*)::int FROM joined GROUP BY c, p
     UNION ALL SELECT 'last', c, last, count(*)::int FROM (SELECT subject, c, max(p) AS last FROM joined GROUP BY 1, 2) x GROUP BY 2, 3`,
    { ...where.bindings, startEvents: query.startEvents, returnEvents: query.returnEvents, from, to },
  );
  // `date_trunc(... AT TIME ZONE 'UTC')` is a timestamp without zone: pg reads it as local time.
  const utc = (value: Date): Date => new Date(value.getTime() - value.getTimezoneOffset() * 60_000);
  const cohorts = new Map<number, { size: number; on: number[]; last: number[] }>();
  for (let index = 0; index < periods; index += 1) {
    cohorts.set(addUnits(from, unit, index).getTime(), {
      size: 0,
      on: new Array<number>(periods).fill(0),
      last: new Array<number>(periods).fill(0),
    });
  }
  for (const row of rows) {
    const cohortStart = utc(new Date(row.cohort));
    const entry = cohorts.get(cohortStart.getTime());
    if (!entry) continue;
    const k = unitsBetween(cohortStart, utc(new Date(row.period)), unit);
    if (row.kind === 'size') entry.size = row.n;
    else if (k < periods) (row.kind === 'on' ? entry.on : entry.last)[k] = row.n;
  }
  const grid: RetentionGrid['cohorts'] = [];
  for (const [start, entry] of cohorts) {
    const available = Math.max(0, unitsBetween(new Date(start), lastStart, unit) + 1);
    const retained: number[] = [];
    for (let k = 0; k < available; k += 1) {
      if (k === 0) retained.push(entry.size);
      else if (query.mode === 'on') retained.push(entry.on[k] ?? 0);
      else retained.push(entry.last.slice(k).reduce((sum, n) => sum + n, 0));
    }
    grid.push({
      start: new Date(start).toISOString(),
      size: entry.size,
      retained,
      percent: retained.map((n) => (entry.size > 0 ? round1((100 * n) / entry.size) : 0)),
    });
  }
  const weightedMean: number[] = [];
  for (let k = 0; k < periods; k += 1) {
    const reached = grid.filter((cohort) => cohort.retained.length > k && cohort.size > 0);
    const size = reached.reduce((sum, cohort) => sum + cohort.size, 0);
    const kept = reached.reduce((sum, cohort) => sum + (cohort.retained[k] ?? 0), 0);
    weightedMean.push(size > 0 ? round1((100 * kept) / size) : 0);
  }
  return { unit, mode: query.mode, periods, cohorts: grid, weightedMean };
}

export async function lifecycle(
  knex: Knex,
  scope: Scope,
  query: {
    unit: Unit;
    periods: number;
    activeEvents: string[];
    /** What makes a subject "created" (first seen): these names, or any event. */
    createdEvents: string[] | 'any';
    to: Date;
  },
): Promise<LifecycleInterval[]> {
  const { unit, periods } = query;
  const last = truncate(query.to, unit);
  const from = addUnits(last, unit, -(periods - 1));
  const to = addUnits(last, unit, 1);
  const before = addUnits(from, unit, -1);
  const subject = subjectSql(scope);
  const where = scopeSql(scope);
  const step = `interval '1 ${unit}'`;
  const { rows } = await knex.raw<{ rows: Array<{ p: Date; status: keyof Omit<LifecycleInterval, 'start'>; n: number }> }>(
    `WITH act AS (
       SELECT DISTINCT ${subject} AS subject, date_trunc('${unit}', e.occurred_at AT TIME ZONE 'UTC') AS p FROM events e
        WHERE ${where.sql} AND e.name = ANY(:activeEvents) AND e.occurred_at >= :before AND e.occurred_at < :to
          AND ${subject} IS NOT NULL),
     created AS (
       SELECT f.subject, date_trunc('${unit}', min(f.at) AT TIME ZONE 'UTC') AS cp
         FROM (${firstSeenSql(scope, query.createdEvents === 'any' ? null : ':createdEvents')}) f
        WHERE f.subject IN (SELECT subject FROM act)
        GROUP BY 1)
     SELECT a.p, CASE WHEN c.cp = a.p THEN 'new' WHEN b.subject IS NOT NULL THEN 'returning' ELSE 'resurrecting' END AS status,
            count(*)::int AS n
       FROM act a
       LEFT JOIN act b ON b.subject = a.subject AND b.p = a.p - ${step}
       LEFT JOIN created c ON c.subject = a.subject
      WHERE a.p >= :fromLocal
      GROUP BY 1, 2
     UNION ALL
     SELECT a.p + ${step}, 'dormant', -count(*)::int
       FROM act a LEFT JOIN act b ON b.subject = a.subject AND b.p = a.p + ${step}
      WHERE b.subject IS NULL AND a.p + ${step} >= :fromLocal AND a.p + ${step} < :toLocal
      GROUP BY 1`,
    {
      ...where.bindings,
      activeEvents: query.activeEvents,
      ...(query.createdEvents === 'any'
        ? {}
        : { createdEvents: [...new Set([...query.activeEvents, ...query.createdEvents])] }),
      before,
      to,
      // Compared with timestamps without zone (UTC wall time).
      fromLocal: from.toISOString().slice(0, 19),
      toLocal: to.toISOString().slice(0, 19),
    },
  );
  const utc = (value: Date): Date => new Date(value.getTime() - value.getTimezoneOffset() * 60_000);
  const intervals: LifecycleInterval[] = [];
  for (let index = 0; index < periods; index += 1) {
    intervals.push({
      start: addUnits(from, unit, index).toISOString(),
      new: 0,
      returning: 0,
      resurrecting: 0,
      dormant: 0,
    });
  }
  for (const row of rows) {
    const index = unitsBetween(from, utc(new Date(row.p)), unit);
    const interval = intervals[index];
    if (interval) interval[row.status] += row.n;
  }
  return intervals;
}
