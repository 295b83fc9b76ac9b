import type { Knex } from 'knex';
import { SchemaProbe } from '../analytics/schema-probe.js';
import { ALL_NAMES, KIND_SQL, LEAD_SQL, REP_SQL, VALUE_SQL } from './vocabulary.js';

/** One rep's (or the team's) numbers over a period. */
export interface RepMetrics {
  calls: number;
  emailsSent: number;
  replies: number;
  meetings: number;
  /** Distinct leads emailed or called. */
  contacted: number;
  repliedLeads: number;
  meetingLeads: number;
  wonDeals: number;
  wonLeads: number;
  pipelineCents: number;
  wonCents: number;
  /** % of contacted leads that replied / booked a meeting. */
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
  const bindings = { ws: workspaceId, from: period.from, to: period.to, names: ALL_NAMES };
  const probe = new SchemaProbe(knex);
  const leads = (await probe.hasTable('outbound_leads')) && (await probe.firstColumn('outbound_leads', ['owner_id']));
  const sends = leads && (await probe.hasTable('outbound_sends')) && (await probe.firstColumn('outbound_sends', ['sent_at']));
  // Outbound's events name the lead, not the rep: the lead's owner is the rep.
  const rep = leads
    ? `COALESCE(${REP_SQL}, (SELECT ol.owner_id::text FROM outbound_leads ol WHERE ol.workspace_id = e.workspace_id
         AND ol.id = CASE WHEN e.data->>'leadId' ~ '^[0-9a-f-]{36}$' THEN (e.data->>'leadId')::uuid END))`
    : REP_SQL;
  const fromEvents = `SELECT ${rep} AS rep, ${KIND_SQL} AS kind, ${LEAD_SQL} AS lead, e.occurred_at AS at, ${VALUE_SQL} AS value
                  FROM events e
                 WHERE e.workspace_id = :ws AND e.name = ANY(:names) AND e.occurred_at >= :from AND e.occurred_at < :to`;
  // Outbound records its sends as rows (no event per send): each one is an email of the lead's owner.
  const base = sends
    ? `${fromEvents}
       UNION ALL
       SELECT l.owner_id::text, 'email', s.lead_id::text, s.sent_at, 0::bigint
         FROM outbound_sends s JOIN outbound_leads l ON l.id = s.lead_id
        WHERE s.workspace_id = :ws AND s.sent_at >= :from AND s.sent_at < :to`
    : fromEvents;
  const { rows } = await knex.raw<{
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
    `WITH ev AS (${base}),
     touches AS (SELECT rep, lead, at FROM ev WHERE kind IN ('email', 'call')),
     first_reply AS (SELECT rep, lead, min(at) AS at FROM ev WHERE kind = 'reply' GROUP BY 1, 2),
     depth AS (
       SELECT f.rep, f.lead, (SELECT count(*) FROM touches t WHERE t.rep = f.rep AND t.lead = f.lead AND t.at <= f.at) AS n
         FROM first_reply f),
     response AS (
       SELECT r.rep, extract(epoch FROM (n.at - r.at)) / 3600 AS hours
         FROM ev r
         JOIN LATERAL (SELECT min(t.at) AS at FROM touches t WHERE t.rep = r.rep AND t.lead = r.lead AND t.at > r.at) n ON n.at IS NOT NULL
        WHERE r.kind = 'reply'),
     counts AS (
       SELECT rep,
              count(*) FILTER (WHERE kind = 'call')::int AS calls,
              count(*) FILTER (WHERE kind = 'email')::int AS emails,
              count(*) FILTER (WHERE kind = 'reply')::int AS replies,
              count(*) FILTER (WHERE kind = 'meeting')::int AS meetings,
              count(DISTINCT lead) FILTER (WHERE kind IN ('email', 'call'))::int AS contacted,
              count(DISTINCT lead) FILTER (WHERE kind = 'reply')::int AS replied_leads,
              count(DISTINCT lead) FILTER (WHERE kind = 'meeting')::int AS meeting_leads,
              count(*) FILTER (WHERE kind = 'won')::int AS won,
              count(DISTINCT lead) FILTER (WHERE kind = 'won')::int AS won_leads,
              COALESCE(sum(value) FILTER (WHERE kind = 'pipeline'), 0) AS pipeline,
              COALESCE(sum(value) FILTER (WHERE kind = 'won'), 0) AS won_value,
              count(*) FILTER (WHERE kind IN ('email', 'call'))::int AS touches
         FROM ev GROUP BY rep)
     SELECT c.*,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FROM response x WHERE x.rep IS NOT DISTINCT FROM c.rep) AS response_hours,
            (SELECT count(*)::int FROM depth d WHERE d.rep IS NOT DISTINCT FROM c.rep AND d.n >= 3) AS late_replies,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FROM response) AS team_hours
       FROM counts c`,
    bindings,
  );
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
