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
 * | NPS detractor: an `nps.*` score 0–6 in the last 90 days | 15 |
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

/** The facts behind the score, one row per workspace, in one query. */
async function facts(knex: Knex, now: Date, workspaceIds: string[] | undefined): Promise<FactsRow[]> {
  const ago = (days: number): Date => new Date(now.getTime() - days * DAY_MS);
  const { rows } = await knex.raw<{ rows: FactsRow[] }>(
    `SELECT w.id AS workspace_id, w.name, w.created_at, b.plan_id, b.status, b.seats,
            (SELECT count(*)::int FROM memberships m WHERE m.workspace_id = w.id) AS members,
            (SELECT count(DISTINCT (e.actor_id, date_trunc('day', e.occurred_at)))::int FROM events e
              WHERE e.workspace_id = w.id AND e.name IN ('session.login', 'session.active_day')
                AND e.occurred_at >= :d7 AND e.occurred_at < :now) AS recent_days,
            (SELECT count(DISTINCT (e.actor_id, date_trunc('day', e.occurred_at)))::int FROM events e
              WHERE e.workspace_id = w.id AND e.name IN ('session.login', 'session.active_day')
                AND e.occurred_at >= :d35 AND e.occurred_at < :d7) AS baseline_days,
            (SELECT COALESCE(sum(u.quantity), 0) FROM usage_events u
              WHERE u.workspace_id = w.id AND u.occurred_at >= :d30 AND u.occurred_at < :now) AS usage_recent,
            (SELECT COALESCE(sum(u.quantity), 0) FROM usage_events u
              WHERE u.workspace_id = w.id AND u.occurred_at >= :d60 AND u.occurred_at < :d30) AS usage_before,
            (SELECT count(*)::int FROM events e WHERE e.workspace_id = w.id AND e.name = 'billing.payment_failed'
                AND e.occurred_at >= :d30) AS payment_failed,
            (SELECT min((e.data->>'score')::numeric)::int FROM events e
              WHERE e.workspace_id = w.id AND e.name LIKE 'nps.%' AND e.occurred_at >= :d90
                AND (e.data->>'score') ~ '^[0-9]{1,2}$') AS nps_min,
            (SELECT count(DISTINCT a.milestone)::int FROM analytics_milestones a WHERE a.workspace_id = w.id) AS milestones,
            (SELECT max(a.occurred_at) FROM analytics_milestones a WHERE a.workspace_id = w.id) AS last_milestone,
            o.user_id AS owner_user_id, ou.email AS owner_email, ou.name AS owner_name
       FROM workspaces w
       JOIN billing_accounts b ON b.workspace_id = w.id
       LEFT JOIN LATERAL (SELECT m.user_id FROM memberships m WHERE m.workspace_id = w.id AND m.role = 'owner'
                           ORDER BY m.created_at LIMIT 1) o ON TRUE
       LEFT JOIN users ou ON ou.id = o.user_id
      ${workspaceIds ? 'WHERE w.id = ANY(:ids)' : ''}`,
    {
      now,
      d7: ago(7),
      d30: ago(30),
      d35: ago(35),
      d60: ago(60),
      d90: ago(90),
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
  let crossed = 0;
  const scores: ChurnScore[] = [];
  for (const row of rows) {
    const result = churnFromFacts(row, options.now);
    scores.push(result);
    const high = result.score >= threshold;
    await knex.transaction(async (trx) => {
      const previous = await trx('analytics_churn')
        .where({ workspace_id: row.workspace_id })
        .forUpdate()
        .first<{ high: boolean; crossings: number } | undefined>('high', 'crossings');
      const crossing = high && !previous?.high;
      const crossings = (previous?.crossings ?? 0) + (crossing ? 1 : 0);
      await trx('analytics_churn')
        .insert({
          workspace_id: row.workspace_id,
          score: result.score,
          reasons: JSON.stringify(result.reasons),
          high,
          crossings,
          computed_at: options.now,
        })
        .onConflict('workspace_id')
        .merge();
      if (!crossing) return;
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
    });
  }
  return { scored: rows.length, crossed, scores };
}
