import type { RepMetrics } from './metrics.js';

/**
 * Insights and coaching as rules over the metrics (README "AI Salesboard"): each one a short
 * sentence with the numbers behind it, so a rep can check it. A rule fires only on enough data
 * (the minimums below) to keep noise out.
 */
export interface Insight {
  rule: 'reply_rate_change' | 'follow_up_depth' | 'slow_response' | 'meetings_not_won' | 'top_meetings' | 'no_calls';
  tone: 'warning' | 'positive' | 'info';
  text: string;
  /** The figures the sentence quotes. */
  numbers: Record<string, number>;
}

const MIN_CONTACTED = 10;
const f1 = (value: number): string => value.toFixed(1);

export function repInsights(
  rep: RepMetrics,
  previous: RepMetrics | undefined,
  team: RepMetrics,
  repCount: number,
  days: number,
): Insight[] {
  const insights: Insight[] = [];
  if (previous && previous.contacted >= MIN_CONTACTED && rep.contacted >= MIN_CONTACTED && previous.replyRate > 0) {
    const change = (rep.replyRate - previous.replyRate) / previous.replyRate;
    if (Math.abs(change) >= 0.25) {
      const fell = change < 0;
      insights.push({
        rule: 'reply_rate_change',
        tone: fell ? 'warning' : 'positive',
        text: `Reply rate ${fell ? 'fell' : 'rose'} ${Math.round(Math.abs(change) * 100)}% (${f1(previous.replyRate)}% → ${f1(rep.replyRate)}%) compared with the previous ${days} days.`,
        numbers: { before: previous.replyRate, now: rep.replyRate, changePct: Math.round(change * 100) },
      });
    }
  }
  const lateShare = team.repliedLeads > 0 ? team.repliesAfterTouch3 / team.repliedLeads : 0;
  if (team.repliedLeads >= 5 && lateShare >= 0.25 && rep.contacted >= 5 && rep.touchesPerLead < 3) {
    insights.push({
      rule: 'follow_up_depth',
      tone: 'warning',
      text: `${Math.round(lateShare * 100)}% of the team's replies come after the 3rd touch: you stop at ${f1(rep.touchesPerLead)} touches per lead on average.`,
      numbers: { lateReplySharePct: Math.round(lateShare * 100), touchesPerLead: rep.touchesPerLead },
    });
  }
  if (
    rep.medianResponseHours !== null &&
    team.medianResponseHours !== null &&
    rep.medianResponseHours >= 4 &&
    rep.medianResponseHours >= 2 * team.medianResponseHours
  ) {
    insights.push({
      rule: 'slow_response',
      tone: 'warning',
      text: `You answer replies in ${f1(rep.medianResponseHours)} h (median); the team in ${f1(team.medianResponseHours)} h.`,
      numbers: { hours: rep.medianResponseHours, teamHours: team.medianResponseHours },
    });
  }
  if (rep.meetings >= 3 && rep.wonDeals === 0) {
    insights.push({
      rule: 'meetings_not_won',
      tone: 'warning',
      text: `${rep.meetings} meetings and no deal won in the last ${days} days.`,
      numbers: { meetings: rep.meetings, won: 0 },
    });
  }
  const teamCallsPerRep = repCount > 0 ? team.calls / repCount : 0;
  if (rep.calls === 0 && teamCallsPerRep >= 5) {
    insights.push({
      rule: 'no_calls',
      tone: 'info',
      text: `No calls logged; the team averages ${f1(teamCallsPerRep)} calls per rep.`,
      numbers: { calls: 0, teamCallsPerRep: Math.round(teamCallsPerRep * 10) / 10 },
    });
  }
  return insights;
}

/** Team-level insights: who to learn from. */
export function teamInsights(reps: Array<{ name: string; metrics: RepMetrics }>, team: RepMetrics): Insight[] {
  const insights: Insight[] = [];
  const eligible = reps.filter((rep) => rep.metrics.contacted >= MIN_CONTACTED);
  const best = [...eligible].sort((a, b) => b.metrics.meetingRate - a.metrics.meetingRate)[0];
  if (best && team.meetingRate > 0 && best.metrics.meetingRate >= 1.5 * team.meetingRate && eligible.length >= 2) {
    const times = best.metrics.meetingRate / team.meetingRate;
    insights.push({
      rule: 'top_meetings',
      tone: 'positive',
      text: `${best.name} books meetings with ${f1(best.metrics.meetingRate)}% of contacted leads, ${f1(times)}× the team's ${f1(team.meetingRate)}%.`,
      numbers: { meetingRate: best.metrics.meetingRate, teamMeetingRate: team.meetingRate, times: Math.round(times * 10) / 10 },
    });
  }
  return insights;
}
