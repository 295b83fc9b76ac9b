import { scopeSql, subjectSql, type Scope } from './scope.js';

/**
 * The first-seen rollup (`analytics_first_seen`, migration 20261204000015): per workspace,
 * event name and person (`events.actor_id`, '' for events about nobody), the first time that
 * event happened. A statement-level trigger on `events` keeps it, so the funnel, the cohorts'
 * first start event and the lifecycle's "new" read tens of thousands of rollup rows instead of
 * every event a workspace ever sent (README "Speed").
 */
export const REBUILD_FIRST_SEEN = `
  INSERT INTO analytics_first_seen (workspace_id, name, subject, first_at)
  SELECT workspace_id, name, COALESCE(actor_id, ''), min(occurred_at) FROM events GROUP BY 1, 2, 3
  ON CONFLICT (workspace_id, name, subject) DO UPDATE SET first_at = LEAST(analytics_first_seen.first_at, EXCLUDED.first_at)`;

/**
 * SQL: one row per subject and event name — `(subject, name, at, workspace_id)`, `at` the
 * first time — over the names bound to `names` (a named binding, e.g. ':steps') or any name.
 * Users and platform accounts (workspaces) come from the rollup; custom accounts
 * (`data.accountId`) are not in it and are aggregated from the events.
 */
export function firstSeenSql(scope: Scope, names: string | null): string {
  if (scope.level === 'user' || scope.source === 'platform') {
    const subject = scope.level === 'user' ? 'f.subject' : 'f.workspace_id';
    const where = [
      scope.workspaceIds ? 'f.workspace_id = ANY(:workspaceIds)' : 'TRUE',
      scope.level === 'user' ? "f.subject <> ''" : 'TRUE',
      names ? `f.name = ANY(${names})` : 'TRUE',
    ].join(' AND ');
    return `SELECT ${subject} AS subject, f.name, min(f.first_at) AS at, min(f.workspace_id::text) AS workspace_id
              FROM analytics_first_seen f WHERE ${where} GROUP BY 1, 2`;
  }
  const subject = subjectSql(scope);
  return `SELECT ${subject} AS subject, e.name, min(e.occurred_at) AS at, min(e.workspace_id::text) AS workspace_id
            FROM events e WHERE ${scopeSql(scope).sql} ${names ? `AND e.name = ANY(${names})` : ''} AND ${subject} IS NOT NULL
           GROUP BY 1, 2`;
}
