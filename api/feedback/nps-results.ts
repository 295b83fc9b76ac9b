import type { Knex } from 'knex';

/**
 * NPS results for instance admins: NPS = % promoters (9–10) − % detractors (0–6), rounded to a
 * whole number, over a window of days; by week, by plan (the plan at the time of the answer)
 * and by workspace, with the latest comments.
 */
export interface NpsFigures {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** Null without responses. */
  nps: number | null;
}

export interface NpsResults extends NpsFigures {
  from: string;
  to: string;
  overTime: Array<NpsFigures & { week: string }>;
  byPlan: Array<NpsFigures & { plan: string }>;
  byWorkspace: Array<NpsFigures & { workspaceId: string; workspaceName: string }>;
  comments: Array<{
    id: string;
    score: number;
    category: string;
    comment: string;
    plan: string;
    workspaceName: string;
    email: string;
    createdAt: string;
  }>;
}

interface CountRow {
  responses: string | number;
  promoters: string | number;
  passives: string | number;
  detractors: string | number;
}

export function figures(row: CountRow | undefined): NpsFigures {
  const responses = Number(row?.responses ?? 0);
  const promoters = Number(row?.promoters ?? 0);
  const passives = Number(row?.passives ?? 0);
  const detractors = Number(row?.detractors ?? 0);
  return {
    responses,
    promoters,
    passives,
    detractors,
    nps: responses === 0 ? null : Math.round(((promoters - detractors) / responses) * 100),
  };
}

const COUNTS = [
  'count(*) as responses',
  "count(*) filter (where r.category = 'promoter') as promoters",
  "count(*) filter (where r.category = 'passive') as passives",
  "count(*) filter (where r.category = 'detractor') as detractors",
].join(', ');

export async function npsResults(knex: Knex, days: number, now = new Date()): Promise<NpsResults> {
  const from = new Date(now.getTime() - days * 86_400_000);
  const base = () =>
    knex('nps_responses as r').where('r.created_at', '>=', from).andWhere('r.created_at', '<=', now);
  const [total] = await base().select<CountRow[]>(knex.raw(COUNTS));
  const weeks = await base()
    .select<Array<CountRow & { week: Date }>>(knex.raw(`date_trunc('week', r.created_at) as week, ${COUNTS}`))
    .groupBy('week')
    .orderBy('week');
  const plans = await base()
    .select<Array<CountRow & { plan: string }>>(knex.raw(`r.plan, ${COUNTS}`))
    .groupBy('r.plan')
    .orderBy('r.plan');
  const workspaces = await base()
    .join('workspaces as w', 'w.id', 'r.workspace_id')
    .select<Array<CountRow & { workspace_id: string; name: string }>>(
      knex.raw(`r.workspace_id, w.name, ${COUNTS}`),
    )
    .groupBy('r.workspace_id', 'w.name')
    .orderByRaw('count(*) desc')
    .limit(50);
  const comments = await base()
    .join('workspaces as w', 'w.id', 'r.workspace_id')
    .join('users as u', 'u.id', 'r.user_id')
    .whereNotNull('r.comment')
    .orderBy('r.created_at', 'desc')
    .limit(100)
    .select<
      Array<{
        id: string;
        score: number;
        category: string;
        comment: string;
        plan: string;
        name: string;
        email: string;
        created_at: Date;
      }>
    >('r.id', 'r.score', 'r.category', 'r.comment', 'r.plan', 'w.name', 'u.email', 'r.created_at');
  return {
    from: from.toISOString(),
    to: now.toISOString(),
    ...figures(total),
    overTime: weeks.map((row) => ({ week: row.week.toISOString().slice(0, 10), ...figures(row) })),
    byPlan: plans.map((row) => ({ plan: row.plan, ...figures(row) })),
    byWorkspace: workspaces.map((row) => ({
      workspaceId: row.workspace_id,
      workspaceName: row.name,
      ...figures(row),
    })),
    comments: comments.map((row) => ({
      id: row.id,
      score: row.score,
      category: row.category,
      comment: row.comment,
      plan: row.plan,
      workspaceName: row.name,
      email: row.email,
      createdAt: row.created_at.toISOString(),
    })),
  };
}
