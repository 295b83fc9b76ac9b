import type { Knex } from 'knex';
import { SchemaProbe } from '../analytics/schema-probe.js';

/** One rep's (or the team's) numbers over a period. */
export interface RepMetrics {
  calls: number;
  emailsSent: number;
  replies: number;
  meetings: number;
  /** Distinct leads the rep emailed or called in the period (the funnel's first stage). */
  contacted: number;
  /** Of the contacted leads: those that replied, booked a meeting, were won (in the period). */
  repliedLeads: number;
  meetingLeads: number;
  wonDeals: number;
  wonLeads: number;
  pipelineCents: number;
  wonCents: number;
  /** % of contacted leads that replied / booked a meeting (never above 100%). */
  replyRate: number;
  meetingRate: number;
  /** Median hours from a reply to the rep's next email or call to that lead; null without any. */
  medianResponseHours: number | null;
  /** Mean emails and calls per contacted lead. */
  touchesPerLead: number;
  /** Replied leads whose first reply came after the 3rd touch or later. */
  repliesAfterTouch3: number;
}

export interface Period {
  from: Date;
  to: Date;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const rate = (part: number, whole: number): number => (whole > 0 ? round1((100 * part) / whole) : 0);

/**
 * Every rep's metrics over a period (reps with events; the team is their sum), and the
 * team's median response time over all of its responses pooled.
 */
export async function repMetrics(
  knex: Knex,
  workspaceId: string,
  period: Period,
): Promise<{ reps: Map<string, RepMetrics>; teamResponseHours: number | null }> {
  const bindings = { ws: workspaceId, from: period.from, to: period.to };
  const probe = new SchemaProbe(knex);
  const leads = (await probe.hasTable('outbound_leads')) && (await probe.firstColumn('outbound_leads', ['owner_id']));
  const sends = leads && (await probe.hasTable('outbound_sends')) && (await probe.firstColumn('outbound_sends', ['sent_at']));
  // The events already parsed by the trigger (kind, rep, lead, value: vocabulary.ts). Outbound's
  // events name the lead, not the rep: the lead's owner is the rep.
  const rep = leads
    ? `COALESCE(a.rep, (SELECT ol.owner_id::text FROM outbound_leads ol WHERE ol.workspace_id = a.workspace_id AND ol.id = a.lead_id))`
    : 'a.rep';
  const fromEvents = `SELECT ${rep} AS rep, a.kind, a.lead, a.occurred_at AS at, a.value
                  FROM salesboard_activity a
                 WHERE a.workspace_id = :ws AND a.occurred_at >= :from AND a.occurred_at < :to`;
  // Outbound records its sends as rows (no event per send): each one is an email of the lead's owner.
  const base = sends
    ? `${fromEvents}
       UNION ALL
       SELECT l.owner_id::text, 'email', s.lead_id::text, s.sent_at, 0::bigint
         FROM outbound_sends s JOIN outbound_leads l ON l.id = s.lead_id
        WHERE s.workspace_id = :ws AND s.sent_at >= :from AND s.sent_at < :to`
    : fromEvents;
  // In one transaction with room to sort and hash a period's events in memory (the default
  // 4 MB spills 100k events to disk: 3× slower).
  const { rows } = await knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL work_mem = '64MB'");
    return trx.raw<{
    rows: Array<{
      rep: string | null;
      calls: number;
      emails: number;
      replies: number;
      meetings: number;
      contacted: number;
      replied_leads: number;
      meeting_leads: number;
      won: number;
      won_leads: number;
      pipeline: string;
      won_value: string;
      response_hours: number | null;
      touches: number;
      late_replies: number;
      team_hours: number | null;
    }>;
  }>(
    `WITH ev AS MATERIALIZED (${base}),
     -- One sort of each rep's touches and replies per lead, in time order (a touch at the very
     -- moment of a reply sorts before it: it is no answer to it). Per reply row: the first touch
     -- after it, and how many touches and replies came up to it.
     seq AS (
       SELECT rep, kind, at,
              min(at) FILTER (WHERE kind IN ('email', 'call')) OVER after_row AS next_touch,
              count(*) FILTER (WHERE kind IN ('email', 'call')) OVER up_to_row AS touches_before,
              count(*) FILTER (WHERE kind = 'reply') OVER up_to_row AS replies_so_far
         FROM ev WHERE rep IS NOT NULL AND kind IN ('email', 'call', 'reply')
       WINDOW up_to_row AS (PARTITION BY rep, lead ORDER BY at, kind = 'reply' ROWS UNBOUNDED PRECEDING),
              after_row AS (PARTITION BY rep, lead ORDER BY at, kind = 'reply' ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)),
     -- Response time: each reply to the rep's next email or call to that lead.
     response AS (
       SELECT rep, extract(epoch FROM (next_touch - at)) / 3600 AS hours FROM seq
        WHERE kind = 'reply' AND next_touch IS NOT NULL),
     response_by_rep AS (SELECT rep, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS hours FROM response GROUP BY rep),
     -- Leads whose first reply came after 3 touches or more.
     late_by_rep AS (
       SELECT rep, count(*)::int AS n FROM seq WHERE kind = 'reply' AND replies_so_far = 1 AND touches_before >= 3 GROUP BY rep),
     -- One row per rep and lead (a hash aggregate, no DISTINCT sorts): the funnel counts leads
     -- the rep contacted in the period, and which of them replied, met or were won.
     per_lead AS (
       SELECT rep, lead,
              bool_or(kind IN ('email', 'call')) AS contacted,
              bool_or(kind = 'reply') AS replied,
              bool_or(kind = 'meeting') AS met,
              bool_or(kind = 'won') AS won
         FROM ev GROUP BY rep, lead),
     funnel AS (
       SELECT rep,
              count(*) FILTER (WHERE contacted)::int AS contacted,
              count(*) FILTER (WHERE contacted AND replied)::int AS replied_leads,
              count(*) FILTER (WHERE contacted AND met)::int AS meeting_leads,
              count(*) FILTER (WHERE contacted AND won)::int AS won_leads
         FROM per_lead GROUP BY rep),
     counts AS (
       SELECT rep,
              count(*) FILTER (WHERE kind = 'call')::int AS calls,
              count(*) FILTER (WHERE kind = 'email')::int AS emails,
              count(*) FILTER (WHERE kind = 'reply')::int AS replies,
              count(*) FILTER (WHERE kind = 'meeting')::int AS meetings,
              count(*) FILTER (WHERE kind = 'won')::int AS won,
              COALESCE(sum(value) FILTER (WHERE kind = 'pipeline'), 0) AS pipeline,
              COALESCE(sum(value) FILTER (WHERE kind = 'won'), 0) AS won_value,
              count(*) FILTER (WHERE kind IN ('email', 'call'))::int AS touches
         FROM ev GROUP BY rep)
     SELECT c.*, COALESCE(f.contacted, 0) AS contacted, COALESCE(f.replied_leads, 0) AS replied_leads,
            COALESCE(f.meeting_leads, 0) AS meeting_leads, COALESCE(f.won_leads, 0) AS won_leads,
            rr.hours AS response_hours, COALESCE(l.n, 0) AS late_replies,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FROM response) AS team_hours
       FROM counts c
       JOIN funnel f ON f.rep IS NOT DISTINCT FROM c.rep
       LEFT JOIN response_by_rep rr ON rr.rep = c.rep
       LEFT JOIN late_by_rep l ON l.rep = c.rep`,
    bindings,
  );
  });
  const reps = new Map<string, RepMetrics>();
  for (const row of rows) {
    reps.set(row.rep ?? 'unassigned', {
      calls: row.calls,
      emailsSent: row.emails,
      replies: row.replies,
      meetings: row.meetings,
      contacted: row.contacted,
      repliedLeads: row.replied_leads,
      meetingLeads: row.meeting_leads,
      wonDeals: row.won,
      wonLeads: row.won_leads,
      pipelineCents: Number(row.pipeline),
      wonCents: Number(row.won_value),
      replyRate: rate(row.replied_leads, row.contacted),
      meetingRate: rate(row.meeting_leads, row.contacted),
      medianResponseHours: row.response_hours === null ? null : round1(Number(row.response_hours)),
      touchesPerLead: row.contacted > 0 ? round1(row.touches / row.contacted) : 0,
      repliesAfterTouch3: row.late_replies,
    });
  }
  const pooled = rows[0]?.team_hours ?? null;
  return { reps, teamResponseHours: pooled === null ? null : round1(Number(pooled)) };
}

/** The team: sums of the reps (rates recomputed from the sums), its pooled median response time. */
export function teamMetrics(reps: RepMetrics[], medianResponseHours: number | null): RepMetrics {
  const sum = (key: keyof RepMetrics): number => reps.reduce((total, rep) => total + Number(rep[key] ?? 0), 0);
  const contacted = sum('contacted');
  return {
    calls: sum('calls'),
    emailsSent: sum('emailsSent'),
    replies: sum('replies'),
    meetings: sum('meetings'),
    contacted,
    repliedLeads: sum('repliedLeads'),
    meetingLeads: sum('meetingLeads'),
    wonDeals: sum('wonDeals'),
    wonLeads: sum('wonLeads'),
    pipelineCents: sum('pipelineCents'),
    wonCents: sum('wonCents'),
    replyRate: rate(sum('repliedLeads'), contacted),
    meetingRate: rate(sum('meetingLeads'), contacted),
    medianResponseHours,
    touchesPerLead: contacted > 0 ? round1((sum('emailsSent') + sum('calls')) / contacted) : 0,
    repliesAfterTouch3: sum('repliesAfterTouch3'),
  };
}

/**
 * The performance score, 0–100 (README): each part is the rep's figure against the team's
 * mean per rep, capped at twice the mean, so a rep at the team average scores 50.
 *   20% activity (leads contacted) + 20% reply rate + 20% meeting rate + 30% won value
 *   + 10% responsiveness (team median response time / the rep's).
 */
export function performanceScore(rep: RepMetrics, team: RepMetrics, repCount: number): number {
  const part = (value: number, mean: number): number => (mean > 0 ? Math.min(value / mean, 2) / 2 : value > 0 ? 1 : 0.5);
  const per = (value: number): number => (repCount > 0 ? value / repCount : 0);
  const responsive =
    rep.medianResponseHours === null || team.medianResponseHours === null
      ? 0.5
      : rep.medianResponseHours <= 0
        ? 1
        : Math.min(team.medianResponseHours / rep.medianResponseHours, 2) / 2;
  const score =
    20 * part(rep.contacted, per(team.contacted)) +
    20 * part(rep.replyRate, team.replyRate) +
    20 * part(rep.meetingRate, team.meetingRate) +
    30 * part(rep.wonCents, per(team.wonCents)) +
    10 * responsive;
  return Math.round(score);
}
