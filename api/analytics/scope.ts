import { z } from 'zod';
import { eventNameSchema } from '../../nodes/triggers/event.js';
import { MILESTONES } from './milestones.js';

/**
 * Who and what an analytics query reads. `workspaceIds` null = every workspace (instance
 * admins). `source` picks the subject: Revflow's own platform events (a user is
 * `data.userId`, an account is the workspace) or the events a workspace posts about its own
 * customers (a user is `data.userId` or `data.subject`, an account `data.accountId`).
 */
export interface Scope {
  workspaceIds: string[] | null;
  source: 'platform' | 'custom';
  level: 'user' | 'account';
}

export const units = ['day', 'week', 'month'] as const;
export type Unit = (typeof units)[number];

/** The SQL for "who this event is about" (from fixed strings, never from input). */
export function subjectSql(scope: Scope): string {
  if (scope.level === 'user') return 'e.actor_id';
  // Accounts of the platform are workspaces: grouped by the uuid itself (no cast per row).
  return scope.source === 'platform' ? 'e.workspace_id' : "COALESCE(e.data->>'accountId', e.data->>'groupId')";
}

/** The workspace filter as SQL with its named binding. */
export function scopeSql(scope: Scope): { sql: string; bindings: Record<string, string[]> } {
  return scope.workspaceIds
    ? { sql: 'e.workspace_id = ANY(:workspaceIds)', bindings: { workspaceIds: scope.workspaceIds } }
    : { sql: 'TRUE', bindings: {} };
}

/** The default activation definition (README): a lead, a launched campaign and a sent email within 14 days. */
export const DEFAULT_ACTIVATION = ['first_lead_added', 'first_campaign_launched', 'first_email_sent'] as const;
export const DEFAULT_ACTIVATION_DAYS = 14;
/** Activity for platform retention and lifecycle: logging in or doing something. */
export const PLATFORM_ACTIVE_EVENTS = ['session.login', 'session.active_day'];
export const PLATFORM_SIGNUP_EVENT = 'activation.account_created';

const names = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter(Boolean))
  .pipe(z.array(eventNameSchema).max(20, 'at most 20 event names'));

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

/** Query parameters shared by the funnel, cohort and lifecycle routes. */
export const commonQuery = z.object({
  source: z.enum(['platform', 'custom']).default('platform'),
  level: z.enum(['user', 'account']).optional().describe('Default: user in a workspace, account for instance admins'),
});

export const activationQuery = commonQuery.extend({
  milestones: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter(Boolean))
    .pipe(z.array(z.enum(MILESTONES)).min(1).max(10))
    .optional()
    .describe(`The activation definition: milestones to reach (default ${DEFAULT_ACTIVATION.join(', ')})`),
  days: z.coerce.number().int().min(1).max(365).default(DEFAULT_ACTIVATION_DAYS),
  unit: z.enum(['week', 'month']).default('week'),
  steps: names.optional().describe('source=custom: the funnel steps, in order (first = signup)'),
});

export const retentionQuery = commonQuery.extend({
  unit: z.enum(units).default('week'),
  periods: z.coerce.number().int().min(1).max(24).default(8),
  mode: z.enum(['on', 'onOrAfter']).default('on'),
  startEvents: names.optional().describe('Default: activation.account_created (platform)'),
  returnEvents: names.optional().describe('Default: session.login, session.active_day (platform)'),
  to: isoDate.optional().describe('End of the last period (default now)'),
});

export const lifecycleQuery = commonQuery.extend({
  unit: z.enum(units).default('week'),
  periods: z.coerce.number().int().min(1).max(52).default(8),
  activeEvents: names.optional().describe('Default: session.login, session.active_day (platform)'),
  to: isoDate.optional(),
});

export const revenueQuery = z.object({
  months: z.coerce.number().int().min(1).max(24).default(6),
  to: isoDate.optional().describe('The last month shown is the one containing this date (default now)'),
});

/** The start of the unit containing `at` (UTC; weeks start on Monday, ISO). */
export function truncate(at: Date, unit: Unit): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (unit === 'day') return day;
  if (unit === 'month') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const weekday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - weekday * 86_400_000);
}

/** `at` moved by `n` units. */
export function addUnits(at: Date, unit: Unit, n: number): Date {
  if (unit === 'month') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + n, at.getUTCDate()));
  return new Date(at.getTime() + n * (unit === 'week' ? 7 : 1) * 86_400_000);
}

/** Whole units from `from` to `to` (both truncated). */
export function unitsBetween(from: Date, to: Date, unit: Unit): number {
  if (unit === 'month')
    return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth());
  return Math.round((to.getTime() - from.getTime()) / ((unit === 'week' ? 7 : 1) * 86_400_000));
}
