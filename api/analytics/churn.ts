import type { Knex } from 'knex';
import { platformEvents } from '../events/platform.js';
import { isPlanId, seatLimitFor } from '../billing/plans.js';
import { MILESTONES } from './milestones.js';

/**
 * Churn risk, 0–100 per workspace (issue 15). The documented formula (README "Analytics"):
 *
 * | factor | points |
 * |---|---|
 * | activity decline: active user-days in the last 7 days vs the weekly mean of the 28 before | 30 × decline |
 * | unused seats (paying accounts): empty seats / seat limit | 10 × share |
 * | quota use trend: metered usage of the last 30 days vs the 30 before | 10 × decline |
 * | failed payment: status past_due or unpaid, or `billing.payment_failed` in 30 days | 20 |
 * | NPS detractor: an `nps.responded` score 0–6 in the last 90 days | 15 |
 * | no milestone in 14 days while activation is incomplete (workspace older than 14 days) | 15 |
 *
 * Crossing the threshold (REVFLOW_CHURN_RISK_THRESHOLD, default 60) from below emits
 * `analytics.churn_risk_high` once per crossing; falling below re-arms it.
 */
export interface ChurnOptions {
  threshold?: number;
  /** Only these workspaces (default: all). */
  workspaceIds?: string[];
}

export interface ChurnReason {
  factor: 'activity_decline' | 'unused_seats' | 'usage_decline' | 'failed_payment' | 'nps_detractor' | 'no_milestone';
  points: number;
  text: string;
}

export interface ChurnScore {
  workspaceId: string;
  score: number;
  reasons: ChurnReason[];
}

interface FactsRow {
  workspace_id: string;
  name: string;
  created_at: Date;
  plan_id: string;
  status: string;
  seats: number;
  members: number;
  recent_days: number;
  baseline_days: number;
  usage_recent: string;
  usage_before: string;
  payment_failed: number;
  nps_min: number | null;
  milestones: number;
  last_milestone: Date | null;
  owner_user_id: string | null;
  owner_email: string | null;
  owner_name: string | null;
}

export const DEFAULT_CHURN_THRESHOLD = 60;
const DAY_MS = 86_400_000;
const pct = (value: number): string => `${Math.round(value * 100)}%`;

/** NPS answers (the feedback feature's event). */
const NPS_EVENTS = ['nps.responded', 'nps.response'];

/** The facts behind the score, one row per workspace, in one set-based query. */
async function facts(knex: Knex, now: Date, workspaceIds: string[] | undefined): Promise<FactsRow[]> {
  const ago = (days: number): Date => new Date(now.getTime() - days * DAY_MS);
  const only = (column: string): string => (workspaceIds ? `AND ${column} = ANY(:ids)` : '');
  const { rows } = await knex.raw<{ rows: FactsRow[] }>(
    `WITH act AS (
       SELECT e.workspace_id,
              count(DISTINCT (e.actor_id, date_trunc('day', e.occurred_at))) FILTER (WHERE e.occurred_at >= :d7)::int AS recent_days,
              count(DISTINCT (e.actor_id, date_trunc('day', e.occurred_at))) FILTER (WHERE e.occurred_at < :d7)::int AS baseline_days
         FROM events e
        WHERE e.name IN ('session.login', 'session.active_day') AND e.occurred_at >= :d35 AND e.occurred_at < :now ${only('e.workspace_id')}
        GROUP BY 1),
     used AS (
       SELECT u.workspace_id,
              COALESCE(sum(u.quantity) FILTER (WHERE u.occurred_at >= :d30), 0) AS recent,
              COALESCE(sum(u.quantity) FILTER (WHERE u.occurred_at < :d30), 0) AS before
         FROM usage_events u WHERE u.occurred_at >= :d60 AND u.occurred_at < :now ${only('u.workspace_id')}
        GROUP BY 1),
     paid AS (
       SELECT e.workspace_id, count(*)::int AS failed FROM events e
        WHERE e.name = 'billing.payment_failed' AND e.occurred_at >= :d30 ${only('e.workspace_id')} GROUP BY 1),
     nps AS (
       SELECT e.workspace_id, min((e.data->>'score')::int) AS score FROM events e
        WHERE e.name = ANY(:npsEvents) AND e.occurred_at >= :d90 AND (e.data->>'score') ~ '^[0-9]{1,2}$' ${only('e.workspace_id')}
        GROUP BY 1),
     ms AS (
       SELECT a.workspace_id, count(DISTINCT a.milestone)::int AS n, max(a.occurred_at) AS last
         FROM analytics_milestones a WHERE TRUE ${only('a.workspace_id')} GROUP BY 1),
     mem AS (SELECT m.workspace_id, count(*)::int AS n FROM memberships m WHERE TRUE ${only('m.workspace_id')} GROUP BY 1),
     own AS (
       SELECT DISTINCT ON (m.workspace_id) m.workspace_id, m.user_id FROM memberships m
        WHERE m.role = 'owner' ${only('m.workspace_id')} ORDER BY m.workspace_id, m.created_at)
     SELECT w.id AS workspace_id, w.name, w.created_at, b.plan_id, b.status, b.seats,
            COALESCE(mem.n, 0) AS members, COALESCE(act.recent_days, 0) AS recent_days,
            COALESCE(act.baseline_days, 0) AS baseline_days, COALESCE(used.recent, 0) AS usage_recent,
            COALESCE(used.before, 0) AS usage_before, COALESCE(paid.failed, 0) AS payment_failed,
            nps.score AS nps_min, COALESCE(ms.n, 0) AS milestones, ms.last AS last_milestone,
            own.user_id AS owner_user_id, ou.email AS owner_email, ou.name AS owner_name
       FROM workspaces w
       JOIN billing_accounts b ON b.workspace_id = w.id
       LEFT JOIN act ON act.workspace_id = w.id
       LEFT JOIN used ON used.workspace_id = w.id
       LEFT JOIN paid ON paid.workspace_id = w.id
       LEFT JOIN nps ON nps.workspace_id = w.id
       LEFT JOIN ms ON ms.workspace_id = w.id
       LEFT JOIN mem ON mem.workspace_id = w.id
       LEFT JOIN own ON own.workspace_id = w.id
       LEFT JOIN users ou ON ou.id = own.user_id
      WHERE TRUE ${only('w.id')}`,
    {
      now,
      d7: ago(7),
      d30: ago(30),
      d35: ago(35),
      d60: ago(60),
      d90: ago(90),
      npsEvents: NPS_EVENTS,
      ...(workspaceIds ? { ids: workspaceIds } : {}),
    },
  );
  return rows;
}

/** The score of one workspace from its facts (pure: the tests check it by hand). */
export function churnFromFacts(row: FactsRow, now: Date): ChurnScore {
  const reasons: ChurnReason[] = [];
  const ageDays = (now.getTime() - new Date(row.created_at).getTime()) / DAY_MS;
  const baseline = row.baseline_days / 4;
  if (baseline > 0 && row.recent_days < baseline) {
    const decline = 1 - row.recent_days / baseline;
    reasons.push({
      factor: 'activity_decline',
      points: 30 * decline,
      text: `Activity down ${pct(decline)} vs its 4-week baseline (${row.recent_days} active user-days this week, ${baseline.toFixed(1)} a week before)`,
    });
  } else if (baseline === 0 && row.recent_days === 0 && ageDays >= 14) {
    reasons.push({ factor: 'activity_decline', points: 30, text: 'Nobody was active in the last 5 weeks' });
  }
  const paying = row.status === 'active' || row.status === 'past_due';
  if (paying && isPlanId(row.plan_id)) {
    const limit = seatLimitFor(row.plan_id, row.seats);
    const unused = Math.max(0, limit - row.members);
    if (unused > 0 && Number.isFinite(limit)) {
      reasons.push({
        factor: 'unused_seats',
        points: 10 * (unused / limit),
        text: `${unused} of ${limit} seats unused`,
      });
    }
  }
  const usageRecent = Number(row.usage_recent);
  const usageBefore = Number(row.usage_before);
  if (usageBefore > 0 && usageRecent < usageBefore) {
    const decline = 1 - usageRecent / usageBefore;
    reasons.push({
      factor: 'usage_decline',
      points: 10 * decline,
      text: `Usage down ${pct(decline)} (${usageRecent} in the last 30 days vs ${usageBefore} the 30 before)`,
    });
  }
  if (row.status === 'past_due' || row.status === 'unpaid' || row.payment_failed > 0) {
    reasons.push({
      factor: 'failed_payment',
      points: 20,
      text:
        row.status === 'past_due' || row.status === 'unpaid'
          ? `Payment failed: the subscription is ${row.status.replace('_', ' ')}`
          : `Payment failed ${row.payment_failed} time(s) in the last 30 days`,
    });
  }
  if (row.nps_min !== null && row.nps_min <= 6) {
    reasons.push({ factor: 'nps_detractor', points: 15, text: `NPS detractor: scored ${row.nps_min} of 10` });
  }
  const last = row.last_milestone ? new Date(row.last_milestone) : new Date(row.created_at);
  const quietDays = Math.floor((now.getTime() - last.getTime()) / DAY_MS);
  if (row.milestones < MILESTONES.length && quietDays >= 14 && ageDays >= 14) {
    reasons.push({
      factor: 'no_milestone',
      points: 15,
      text: `No new milestone in ${quietDays} days (${row.milestones} of ${MILESTONES.length} reached)`,
    });
  }
  reasons.sort((a, b) => b.points - a.points);
  const score = Math.min(100, Math.round(reasons.reduce((sum, reason) => sum + reason.points, 0)));
  return {
    workspaceId: row.workspace_id,
    score,
    reasons: reasons.map((reason) => ({ ...reason, points: Math.round(reason.points * 10) / 10 })),
  };
}

/** Score every workspace (or some), store the scores, and emit one event per upward crossing. */
export async function scoreChurn(
  knex: Knex,
  options: ChurnOptions & { now: Date },
): Promise<{ scored: number; crossed: number; scores: ChurnScore[] }> {
  const threshold = options.threshold ?? DEFAULT_CHURN_THRESHOLD;
  const rows = await facts(knex, options.now, options.workspaceIds);
  const scores = rows.map((row) => churnFromFacts(row, options.now));
  const byId = new Map(rows.map((row) => [row.workspace_id, row]));
  let crossed = 0;
  // One transaction for the whole pass: the stored scores and the events of the crossings.
  await knex.transaction(async (trx) => {
    const previous = new Map(
      (
        await trx('analytics_churn')
          .whereIn('workspace_id', scores.map((score) => score.workspaceId))
          .forUpdate()
          .select<Array<{ workspace_id: string; high: boolean; crossings: number }>>('workspace_id', 'high', 'crossings')
      ).map((row) => [row.workspace_id, row]),
    );
    const stored = scores.map((result) => {
      const before = previous.get(result.workspaceId);
      const high = result.score >= threshold;
      const crossing = high && !before?.high;
      return { result, high, crossing, crossings: (before?.crossings ?? 0) + (crossing ? 1 : 0) };
    });
    for (let index = 0; index < stored.length; index += 500) {
      await trx('analytics_churn')
        .insert(
          stored.slice(index, index + 500).map(({ result, high, crossings }) => ({
            workspace_id: result.workspaceId,
            score: result.score,
            reasons: JSON.stringify(result.reasons),
            high,
            crossings,
            computed_at: options.now,
          })),
        )
        .onConflict('workspace_id')
        .merge();
    }
    for (const { result, crossing, crossings } of stored) {
      const row = byId.get(result.workspaceId);
      if (!crossing || !row) continue;
      crossed += 1;
      await platformEvents(knex).emit(
        {
          workspaceId: row.workspace_id,
          eventId: `analytics.churn_risk_high:${row.workspace_id}:${crossings}`,
          name: 'analytics.churn_risk_high',
          data: {
            workspaceId: row.workspace_id,
            workspaceName: row.name,
            score: result.score,
            threshold,
            reasons: result.reasons.slice(0, 3).map((reason) => reason.text),
            ownerEmail: row.owner_email ?? '',
            ownerName: row.owner_name ?? '',
            occurredAt: options.now.toISOString(),
          },
          ...(row.owner_user_id ? { userId: row.owner_user_id } : {}),
        },
        trx,
      );
    }
  });
  return { scored: rows.length, crossed, scores };
}
