import type { Knex } from 'knex';
import { firstSeenSql } from './first-seen.js';
import { MILESTONE_TITLES, MILESTONES, type Milestone } from './milestones.js';
import { PLATFORM_SIGNUP_EVENT, scopeSql, subjectSql, truncate, type Scope } from './scope.js';

/**
 * Activation (PostHog's modelling guide): "within N days of signup, did [criteria]". A
 * subject (user, or account = workspace) is activated when it reached every milestone of the
 * definition within N days of its signup (`activation.account_created`). The funnel counts,
 * per step, the subjects that reached that step and every step before it (any order), and
 * time to a milestone is the median time from signup. Custom sources use their own steps.
 */
export interface FunnelStep {
  key: string;
  title: string;
  count: number;
  /** % of the first step. */
  percent: number;
}

export interface Activation {
  definition: { milestones: string[]; days: number };
  subjects: number;
  activated: number;
  rate: number;
  funnel: FunnelStep[];
  byCohort: Array<{ cohort: string; subjects: number; activated: number; rate: number; medianHours: Record<string, number | null> }>;
  byPlan: Array<{ plan: string; subjects: number; activated: number; rate: number; medianHours: Record<string, number | null> }>;
}

const HOUR_MS = 3_600_000;
const round1 = (value: number): number => Math.round(value * 10) / 10;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return round1(value);
}

interface Subject {
  signup: Date;
  reached: Map<string, Date>;
  workspaceId: string;
  plan: string | null;
}

export async function activation(
  knex: Knex,
  scope: Scope,
  query: { milestones: string[]; days: number; unit: 'week' | 'month'; steps?: string[] },
): Promise<Activation> {
  // Platform: the ten milestones as steps; custom: the workspace's own events, first = signup.
  const steps =
    scope.source === 'platform' ? MILESTONES.map((milestone) => `activation.${milestone}`) : (query.steps ?? []);
  const signupName = scope.source === 'platform' ? PLATFORM_SIGNUP_EVENT : steps[0];
  const definition = scope.source === 'platform' ? query.milestones.map((m) => `activation.${m}`) : steps.slice(1);
  const subject = subjectSql(scope);
  const where = scopeSql(scope);
  const { rows } = await knex.raw<{
    rows: Array<{ subject: string; name: string; at: number; workspace_id: string; plan: string | null }>;
  }>(
    // The first time of each step from the rollup (as epoch ms: tens of thousands of rows parse
    // faster as numbers than as dates); the plan of a custom subject from its signup event.
    `SELECT s.subject::text AS subject, s.name, (extract(epoch FROM s.at) * 1000)::float8 AS at, s.workspace_id, NULL::text AS plan
       FROM (${firstSeenSql(scope, ':steps')}) s
     UNION ALL
     SELECT (${subject})::text, '', NULL, NULL, min(e.data->>'plan')
       FROM events e
      WHERE ${where.sql} AND e.name = :signup AND ${subject} IS NOT NULL AND :custom AND e.data->>'plan' IS NOT NULL
      GROUP BY 1`,
    { ...where.bindings, steps, signup: signupName ?? '', custom: scope.source === 'custom' },
  );
  const subjects = new Map<string, Subject>();
  const plans = new Map<string, string>();
  for (const row of rows) if (row.name === '' && row.plan) plans.set(row.subject, row.plan);
  for (const row of rows) {
    if (row.name === '') continue;
    const entry = subjects.get(row.subject) ?? {
      signup: new Date(8.64e15),
      reached: new Map<string, Date>(),
      workspaceId: row.workspace_id,
      plan: plans.get(row.subject) ?? null,
    };
    const at = new Date(Number(row.at));
    entry.reached.set(row.name, at);
    if (row.name === signupName) entry.signup = at;
    subjects.set(row.subject, entry);
  }
  const signedUp = [...subjects.values()].filter((entry) => entry.reached.has(signupName ?? ''));
  // Platform plans: the workspace's billing plan now.
  if (scope.source === 'platform' && signedUp.length > 0) {
    const plans: Array<{ workspace_id: string; plan_id: string; status: string }> = await knex('billing_accounts')
      .whereIn('workspace_id', [...new Set(signedUp.map((entry) => entry.workspaceId))])
      .select('workspace_id', 'plan_id', 'status');
    const byWorkspace = new Map(plans.map((plan) => [plan.workspace_id, plan.status === 'trialing' ? `${plan.plan_id} (trial)` : plan.plan_id]));
    for (const entry of signedUp) entry.plan = byWorkspace.get(entry.workspaceId) ?? null;
  }

  const limitMs = query.days * 86_400_000;
  const isActivated = (entry: Subject): boolean =>
    definition.every((name) => {
      const at = entry.reached.get(name);
      return at !== undefined && at.getTime() - entry.signup.getTime() <= limitMs;
    });

  // Platform milestones have no fixed order: each step counts who reached it. A custom
  // funnel is sequential: each step's first time at or after the step before it.
  const funnel: FunnelStep[] = [];
  let passing = signedUp;
  let previous: string | undefined;
  for (const name of steps) {
    const before = previous;
    passing =
      scope.source === 'platform'
        ? signedUp.filter((entry) => entry.reached.has(name))
        : passing.filter((entry) => {
            const at = entry.reached.get(name);
            const prior = before ? entry.reached.get(before) : undefined;
            return at !== undefined && (prior === undefined || at >= prior);
          });
    previous = name;
    const milestone = name.replace(/^activation\./, '') as Milestone;
    funnel.push({
      key: name,
      title: MILESTONE_TITLES[milestone] ?? name,
      count: passing.length,
      percent: signedUp.length > 0 ? round1((100 * passing.length) / signedUp.length) : 0,
    });
  }

  const group = (key: (entry: Subject) => string): Map<string, Subject[]> => {
    const groups = new Map<string, Subject[]>();
    for (const entry of signedUp) {
      const name = key(entry);
      const list = groups.get(name);
      if (list) list.push(entry);
      else groups.set(name, [entry]);
    }
    return groups;
  };
  // Time to a milestone: each subject's own signup to its first time reaching it.
  const summarise = (entries: Subject[]) => {
    const activated = entries.filter(isActivated).length;
    const medianHours: Record<string, number | null> = {};
    for (const name of steps) {
      if (name === signupName) continue;
      medianHours[name] = median(
        entries.flatMap((entry) => {
          const at = entry.reached.get(name);
          return at ? [(at.getTime() - entry.signup.getTime()) / HOUR_MS] : [];
        }),
      );
    }
    const rate = entries.length ? round1((100 * activated) / entries.length) : 0;
    return { subjects: entries.length, activated, rate, medianHours };
  };
  const total = summarise(signedUp);
  return {
    definition: { milestones: definition, days: query.days },
    subjects: total.subjects,
    activated: total.activated,
    rate: total.rate,
    funnel,
    byCohort: [...group((entry) => truncate(entry.signup, query.unit).toISOString())]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([cohort, entries]) => ({ cohort, ...summarise(entries) })),
    byPlan: [...group((entry) => entry.plan ?? 'unknown')]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([plan, entries]) => ({ plan, ...summarise(entries) })),
  };
}
