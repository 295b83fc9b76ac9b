import type { Knex } from 'knex';
import type { AiService } from '../../nodes/ai/service.js';
import { repInsights, teamInsights, type Insight } from './insights.js';
import { performanceScore, repMetrics, teamMetrics, type RepMetrics } from './metrics.js';

/** The Salesboard of a workspace over a period: team overview, reps, funnel, insights. */
export interface FunnelStage {
  stage: 'contacted' | 'replied' | 'meeting' | 'won';
  count: number;
  /** % of contacted. */
  percent: number;
}

export interface RepBoard {
  userId: string;
  name: string;
  email: string | null;
  role: string | null;
  metrics: RepMetrics;
  score: number;
  funnel: FunnelStage[];
  insights: Insight[];
}

export interface Board {
  period: { from: string; to: string; days: number };
  team: { metrics: RepMetrics; previous: RepMetrics; funnel: FunnelStage[]; insights: Insight[] };
  reps: RepBoard[];
  /** With a model configured: a coaching summary written by it (marked as AI in the page). */
  coaching: { text: string; provider: string; model: string } | null;
  computedAt: string;
}

function funnelOf(metrics: RepMetrics): FunnelStage[] {
  const percent = (count: number): number =>
    metrics.contacted > 0 ? Math.round((1000 * count) / metrics.contacted) / 10 : 0;
  return [
    { stage: 'contacted', count: metrics.contacted, percent: metrics.contacted > 0 ? 100 : 0 },
    { stage: 'replied', count: metrics.repliedLeads, percent: percent(metrics.repliedLeads) },
    { stage: 'meeting', count: metrics.meetingLeads, percent: percent(metrics.meetingLeads) },
    { stage: 'won', count: metrics.wonLeads, percent: percent(metrics.wonLeads) },
  ];
}

const EMPTY: RepMetrics = {
  calls: 0,
  emailsSent: 0,
  replies: 0,
  meetings: 0,
  contacted: 0,
  repliedLeads: 0,
  meetingLeads: 0,
  wonDeals: 0,
  wonLeads: 0,
  pipelineCents: 0,
  wonCents: 0,
  replyRate: 0,
  meetingRate: 0,
  medianResponseHours: null,
  touchesPerLead: 0,
  repliesAfterTouch3: 0,
};

export async function buildBoard(
  knex: Knex,
  workspaceId: string,
  period: { to: Date; days: number },
  options: { ai?: AiService | undefined; now?: Date } = {},
): Promise<Board> {
  const from = new Date(period.to.getTime() - period.days * 86_400_000);
  const previousFrom = new Date(from.getTime() - period.days * 86_400_000);
  const [current, previous, members] = await Promise.all([
    repMetrics(knex, workspaceId, { from, to: period.to }),
    repMetrics(knex, workspaceId, { from: previousFrom, to: from }),
    knex('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.workspace_id', workspaceId)
      .select<Array<{ id: string; name: string; email: string; role: string }>>('u.id', 'u.name', 'u.email', 'm.role'),
  ]);
  const byId = new Map(members.map((member) => [member.id, member]));
  // Reps: the members who can sell (not viewers), plus anyone the events name.
  const ids = new Set<string>([
    ...members.filter((member) => member.role !== 'viewer').map((member) => member.id),
    ...current.reps.keys(),
  ]);
  const team = teamMetrics([...current.reps.values()], current.teamResponseHours);
  const teamBefore = teamMetrics([...previous.reps.values()], previous.teamResponseHours);
  const repCount = ids.size;
  const reps: RepBoard[] = [...ids].map((id) => {
    const member = byId.get(id);
    const metrics = current.reps.get(id) ?? EMPTY;
    return {
      userId: id,
      // Someone the events name who is not a member: shown by id only, nothing else leaks.
      name: member?.name ?? (id === 'unassigned' ? 'Unassigned' : `Not a member (${id.slice(0, 12)})`),
      email: member?.email ?? null,
      role: member?.role ?? null,
      metrics,
      score: performanceScore(metrics, team, repCount),
      funnel: funnelOf(metrics),
      insights: repInsights(metrics, previous.reps.get(id), team, repCount, period.days),
    };
  });
  reps.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  const board: Board = {
    period: { from: from.toISOString(), to: period.to.toISOString(), days: period.days },
    team: {
      metrics: team,
      previous: teamBefore,
      funnel: funnelOf(team),
      insights: teamInsights(reps, team),
    },
    reps,
    coaching: null,
    computedAt: (options.now ?? new Date()).toISOString(),
  };
  if (options.ai) board.coaching = await coachingSummary(options.ai, workspaceId, board);
  return board;
}

/** The model's coaching summary over the rule insights; null when the model fails. */
async function coachingSummary(ai: AiService, workspaceId: string, board: Board): Promise<Board['coaching']> {
  const lines = board.reps.map(
    (rep) =>
      `${rep.name}: score ${rep.score}, ${rep.metrics.contacted} contacted, reply rate ${rep.metrics.replyRate}%, ` +
      `${rep.metrics.meetings} meetings, won $${(rep.metrics.wonCents / 100).toFixed(0)}. ` +
      rep.insights.map((insight) => insight.text).join(' '),
  );
  try {
    const answer = await ai.generate(
      workspaceId,
      {
        system:
          'You are a sales coach. In at most 4 short sentences, tell the team what to do next week. Use only the numbers given.',
        prompt: `Team over ${board.period.days} days: ${board.team.metrics.contacted} leads contacted, reply rate ${board.team.metrics.replyRate}%, ${board.team.metrics.meetings} meetings.\n${lines.join('\n')}`,
      },
      { idempotencyKey: `salesboard:${workspaceId}:${board.period.to.slice(0, 13)}`, maxTokens: 300 },
    );
    return { text: answer.text.slice(0, 2000), provider: answer.provider, model: answer.model };
  } catch {
    return null;
  }
}
