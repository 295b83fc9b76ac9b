import { api, ws } from '../api/client.js';

/** The analytics API (api/analytics/routes.ts) as the page reads it. */
export interface FunnelStep {
  key: string;
  title: string;
  count: number;
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
export interface RetentionGrid {
  unit: 'day' | 'week' | 'month';
  mode: 'on' | 'onOrAfter';
  cohorts: Array<{ start: string; size: number; retained: number[]; percent: number[] }>;
  weightedMean: number[];
}
export interface LifecycleInterval {
  start: string;
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}
export interface MonthMovements {
  month: string;
  new: number;
  expansion: number;
  contraction: number;
  churn: number;
  reactivation: number;
  net: number;
  mrr: number;
  nrr: number | null;
  grr: number | null;
}
export interface Revenue {
  mrrCents: number;
  payingAccounts: number;
  months: MonthMovements[];
  period: { from: string; to: string; startingMrr: number; nrr: number | null; grr: number | null };
  cohorts: Array<{ month: string; accounts: number; startingMrr: number; nrr: number[] }>;
  opportunities: Array<{
    id: string;
    workspaceId: string;
    kind: string;
    reason: string;
    currentPlan: string;
    suggestedPlan: string | null;
    currentValueCents: number;
    potentialValueCents: number;
    upliftCents: number;
  }>;
  opportunityUpliftCents: number;
}
export interface ChurnRisk {
  workspaceId: string;
  workspaceName: string;
  plan: string;
  status: string;
  score: number;
  high: boolean;
  reasons: Array<{ factor: string; points: number; text: string }>;
  computedAt: string;
}

export interface AnalyticsView {
  activation: Activation;
  retention: RetentionGrid;
  lifecycle: { unit: string; intervals: LifecycleInterval[] };
  revenue: Revenue;
  churn: ChurnRisk[];
}

/** `scope`: this workspace (owners) or every workspace (instance admins). */
export async function loadAnalytics(
  scope: { workspaceId: string } | 'admin',
  options: { unit: 'day' | 'week' | 'month'; mode: 'on' | 'onOrAfter'; to: string | null },
): Promise<AnalyticsView> {
  const base = scope === 'admin' ? '/api/v1/admin/analytics' : `${ws(scope.workspaceId)}/analytics`;
  const to = options.to ? `&to=${encodeURIComponent(options.to)}` : '';
  const [activation, retention, lifecycle, revenue, churn] = await Promise.all([
    // Activation cohorts are weekly or monthly: a daily view shows them by week.
    api.get<Activation>(`${base}/activation?unit=${options.unit === 'month' ? 'month' : 'week'}`),
    api.get<RetentionGrid>(`${base}/retention?unit=${options.unit}&mode=${options.mode}&periods=8${to}`),
    api.get<{ unit: string; intervals: LifecycleInterval[] }>(`${base}/lifecycle?unit=${options.unit}&periods=8${to}`),
    api.get<Revenue>(`${base}/revenue?months=6${to}`),
    api.get<{ items: ChurnRisk[] }>(`${base}/churn-risk`),
  ]);
  return { activation, retention, lifecycle, revenue, churn: churn.items };
}

export const refreshAnalytics = (scope: { workspaceId: string } | 'admin'): Promise<unknown> =>
  api.post(scope === 'admin' ? '/api/v1/admin/analytics/refresh' : `${ws(scope.workspaceId)}/analytics/refresh`);

export function money(cents: number): string {
  return (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
}

export function percent(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)}%`;
}

/** "Mar 23" for a period start (UTC). */
export function periodLabel(iso: string, unit: string): string {
  const date = new Date(iso);
  return unit === 'month'
    ? date.toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' })
    : date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}
