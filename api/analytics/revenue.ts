import type { Knex } from 'knex';
import { getPlan, isPlanId } from '../billing/plans.js';

/**
 * MRR from billing history (`analytics_plan_history`, written by a trigger on every plan,
 * status or seat change). A state is paying when its status is `active` or `past_due`; its MRR
 * is the plan price plus the extra seats. MRR is read at each month's end (UTC).
 *
 * Movements per month, per account, from the MRR at the previous month's end to this month's:
 * new (0 → >0, never paid before), reactivation (0 → >0, paid before), expansion (up),
 * contraction (down, still paying), churn (>0 → 0).
 *
 * NRR and GRR (ChartMogul's definitions) over a period, for the opening cohort (accounts
 * paying at its start): NRR = (starting MRR + expansion − contraction − churn) / starting MRR;
 * GRR = (starting MRR − contraction − churn) / starting MRR. New and reactivated accounts are
 * not in the opening cohort. Cohort NRR: accounts grouped by their first paying month; cell k
 * = the cohort's MRR k months later / its MRR in its first month.
 */
export interface MonthMovements {
  month: string;
  new: number;
  expansion: number;
  contraction: number;
  churn: number;
  reactivation: number;
  net: number;
  mrr: number;
  /** For the accounts paying at the month's start; null when there were none. */
  nrr: number | null;
  grr: number | null;
}

export interface Revenue {
  currency: 'usd';
  mrrCents: number;
  payingAccounts: number;
  months: MonthMovements[];
  /** Over the whole range: the accounts paying at the start of the first month. */
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
    createdAt: string;
  }>;
  opportunityUpliftCents: number;
}

interface HistoryRow {
  workspace_id: string;
  at: Date;
  plan_id: string;
  status: string;
  seats: number;
}

/** The MRR of one billing state, in cents. */
export function mrrOf(state: { plan_id: string; status: string; seats: number }): number {
  if (state.status !== 'active' && state.status !== 'past_due') return 0;
  if (!isPlanId(state.plan_id)) return 0;
  const plan = getPlan(state.plan_id);
  const extra = plan.extraSeatPriceCents === null ? 0 : Math.max(0, state.seats - plan.includedSeats);
  return plan.priceMonthlyCents + extra * (plan.extraSeatPriceCents ?? 0);
}

const monthStart = (at: Date, offset = 0): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
const ratio = (value: number, base: number): number | null => (base > 0 ? Math.round((1000 * value) / base) / 10 : null);

export async function revenue(
  knex: Knex,
  workspaceIds: string[] | null,
  query: { months: number; to: Date },
): Promise<Revenue> {
  const end = monthStart(query.to, 1);
  const first = monthStart(query.to, -(query.months - 1));
  const history: HistoryRow[] = await knex('analytics_plan_history')
    .modify((builder) => {
      if (workspaceIds) void builder.whereIn('workspace_id', workspaceIds);
    })
    .where('at', '<', end)
    .orderBy([{ column: 'workspace_id' }, { column: 'at' }, { column: 'id' }])
    .select('workspace_id', 'at', 'plan_id', 'status', 'seats');
  const byAccount = new Map<string, HistoryRow[]>();
  for (const row of history) {
    const rows = byAccount.get(row.workspace_id);
    if (rows) rows.push(row);
    else byAccount.set(row.workspace_id, [row]);
  }

  // MRR of each account at each boundary: index 0 = start of the first month.
  const boundaries = Array.from({ length: query.months + 1 }, (_, index) => monthStart(first, index));
  const mrrAt = (rows: HistoryRow[], at: Date): number => {
    let state: HistoryRow | undefined;
    for (const row of rows) if (new Date(row.at) < at) state = row;
    return state ? mrrOf(state) : 0;
  };
  const paidBefore = (rows: HistoryRow[], at: Date): boolean =>
    rows.some((row) => new Date(row.at) < at && mrrOf(row) > 0);

  const months: MonthMovements[] = [];
  for (let index = 0; index < query.months; index += 1) {
    const from = boundaries[index]!;
    const to = boundaries[index + 1]!;
    const move: MonthMovements = {
      month: from.toISOString().slice(0, 7),
      new: 0,
      expansion: 0,
      contraction: 0,
      churn: 0,
      reactivation: 0,
      net: 0,
      mrr: 0,
      nrr: null,
      grr: null,
    };
    let opening = 0;
    let openingExpansion = 0;
    let openingLoss = 0;
    for (const rows of byAccount.values()) {
      const before = mrrAt(rows, from);
      const after = mrrAt(rows, to);
      move.mrr += after;
      if (before === 0 && after > 0) {
        if (paidBefore(rows, from)) move.reactivation += after;
        else move.new += after;
      } else if (before > 0 && after === 0) move.churn += before;
      else if (after > before) move.expansion += after - before;
      else if (after < before) move.contraction += before - after;
      if (before > 0) {
        opening += before;
        if (after > before) openingExpansion += after - before;
        else openingLoss += before - after;
      }
    }
    move.net = move.new + move.reactivation + move.expansion - move.contraction - move.churn;
    move.nrr = ratio(opening + openingExpansion - openingLoss, opening);
    move.grr = ratio(opening - openingLoss, opening);
    months.push(move);
  }

  // The whole range for the accounts paying at its start.
  let startingMrr = 0;
  let expansion = 0;
  let loss = 0;
  for (const rows of byAccount.values()) {
    const before = mrrAt(rows, first);
    if (before === 0) continue;
    const after = mrrAt(rows, end);
    startingMrr += before;
    if (after > before) expansion += after - before;
    else loss += before - after;
  }

  // Cohorts by first paying month (at a month's end), within the range.
  const cohorts = new Map<number, { accounts: number; mrr: number[] }>();
  for (const rows of byAccount.values()) {
    const firstIndex = boundaries.slice(1).findIndex((boundary) => mrrAt(rows, boundary) > 0);
    if (firstIndex < 0 || paidBefore(rows, boundaries[0]!)) continue;
    const cohort = cohorts.get(firstIndex) ?? { accounts: 0, mrr: new Array<number>(query.months - firstIndex).fill(0) };
    cohort.accounts += 1;
    for (let k = 0; firstIndex + k < query.months; k += 1) cohort.mrr[k]! += mrrAt(rows, boundaries[firstIndex + k + 1]!);
    cohorts.set(firstIndex, cohort);
  }

  const current = await knex('billing_accounts')
    .modify((builder) => {
      if (workspaceIds) void builder.whereIn('workspace_id', workspaceIds);
    })
    .select<Array<{ plan_id: string; status: string; seats: number }>>('plan_id', 'status', 'seats');
  const expansions = await knex('billing_expansions')
    .modify((builder) => {
      if (workspaceIds) void builder.whereIn('workspace_id', workspaceIds);
    })
    .orderBy('created_at', 'desc')
    .limit(50)
    .select<
      Array<{
        id: string;
        workspace_id: string;
        kind: string;
        reason: string;
        current_plan: string;
        suggested_plan: string | null;
        current_value_cents: string;
        potential_value_cents: string;
        created_at: Date;
      }>
    >('*');
  const opportunities = expansions.map((row) => ({
    id: row.id,
    workspaceId: row.workspace_id,
    kind: row.kind,
    reason: row.reason,
    currentPlan: row.current_plan,
    suggestedPlan: row.suggested_plan,
    currentValueCents: Number(row.current_value_cents),
    potentialValueCents: Number(row.potential_value_cents),
    upliftCents: Number(row.potential_value_cents) - Number(row.current_value_cents),
    createdAt: new Date(row.created_at).toISOString(),
  }));
  return {
    currency: 'usd',
    mrrCents: current.reduce((sum, state) => sum + mrrOf(state), 0),
    payingAccounts: current.filter((state) => mrrOf(state) > 0).length,
    months,
    period: {
      from: first.toISOString().slice(0, 7),
      to: monthStart(query.to).toISOString().slice(0, 7),
      startingMrr,
      nrr: ratio(startingMrr + expansion - loss, startingMrr),
      grr: ratio(startingMrr - loss, startingMrr),
    },
    cohorts: [...cohorts]
      .sort(([a], [b]) => a - b)
      .map(([index, cohort]) => ({
        month: boundaries[index]!.toISOString().slice(0, 7),
        accounts: cohort.accounts,
        startingMrr: cohort.mrr[0] ?? 0,
        nrr: cohort.mrr.map((mrr) => ratio(mrr, cohort.mrr[0] ?? 0) ?? 0),
      })),
    opportunities,
    opportunityUpliftCents: opportunities.reduce((sum, opportunity) => sum + Math.max(0, opportunity.upliftCents), 0),
  };
}
