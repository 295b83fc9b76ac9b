// Over 400 lines: one meter engine (record, reserve under the lock, totals, quota checks, thresholds) shares its period and aggregation rules; plans and messages live in plans.ts.
import type { Knex } from 'knex';
import { effectivePlan, type BillingAccount, type BillingAccounts } from './accounts.js';
import {
  getMeter,
  getPlan,
  meterIds,
  meters,
  nextPlanFor,
  overageAllowed,
  quotaMessage,
  type MeterId,
  type PlanId,
} from './plans.js';
import { QuotaExceeded, UsageRejected } from './errors.js';
import { billingSettings } from './settings.js';

export { overageAllowed, QuotaExceeded, quotaMessage, UsageRejected };

export interface UsageInput {
  meter: MeterId;
  /** Events of `count` meters count once whatever the quantity; default 1. */
  quantity?: number;
  /** Unique per workspace: a repeat is accepted and not counted again. */
  idempotencyKey: string;
  /** Default: now. Late events within the grace period land in the period they occurred in. */
  occurredAt?: Date | string;
  /** What `unique` meters count distinct values of (a lead's email); default: the key. */
  subject?: string;
  /** Who recorded it: 'email', 'node', 'api'. */
  source?: string;
}

export interface Period {
  start: Date;
  end: Date;
}

export interface MeterUsage {
  meter: MeterId;
  title: string;
  unit: string;
  aggregation: string;
  used: number;
  /** Null: unlimited. */
  limit: number | null;
  periodStart: string;
  periodEnd: string;
  /** Used beyond the limit on a plan with overage (billed, not blocked). */
  overage: number;
}

export interface QuotaCheck {
  ok: boolean;
  meter: MeterId;
  planId: PlanId;
  used: number;
  limit: number | null;
  /** Null: unlimited. */
  remaining: number | null;
  /** Over the limit but allowed: counted as overage. */
  overage: boolean;
  /** Set when not ok: names the limit, the plan and the plan that has more. */
  message?: string;
}

/** A quota passed a threshold (80%): the expansion side turns it into an opportunity. */
export interface ThresholdCrossing {
  workspaceId: string;
  account: BillingAccount;
  /** The plan whose limit was crossed (effective: a trial's plan while it runs). */
  planId: PlanId;
  meter: MeterId;
  used: number;
  limit: number;
  period: Period;
}

export interface UsageMeterOptions {
  /** REVFLOW_USAGE_GRACE_HOURS (default 48): how late a usage event may arrive. */
  graceMs?: number;
  now?: () => Date;
  onThreshold?: (crossing: ThresholdCrossing) => Promise<void>;
}

export const EXPANSION_THRESHOLD = 0.8;
const FUTURE_SKEW_MS = 5 * 60_000;

export function graceMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return billingSettings(env).REVFLOW_USAGE_GRACE_HOURS * 3_600_000;
}

interface AggregateRow {
  meter: string;
  events: string;
  total: string;
  peak: string;
  subjects: string;
}

/**
 * Usage metering: `usage_events` rows, one per idempotency key and workspace, aggregated per
 * meter over a billing period (count, sum, max or unique count); workflow runs are counted
 * from the runs table itself, so starting a run costs no extra write.
 */
export class UsageMeter {
  readonly graceMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly knex: Knex,
    private readonly accounts: BillingAccounts,
    private readonly options: UsageMeterOptions = {},
  ) {
    this.graceMs = options.graceMs ?? graceMsFromEnv();
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Record once per key: `counted` is false for a repeat (accepted, not counted twice). With
   * `enforce`, usage past a hard limit throws QuotaExceeded and nothing is counted (exactly, as `reserve`).
   */
  async record(
    workspaceId: string,
    input: UsageInput,
    options: { enforce?: boolean } = {},
  ): Promise<{ counted: boolean; occurredAt: string }> {
    if (!(meterIds as readonly string[]).includes(input.meter))
      throw new UsageRejected(`Unknown meter "${input.meter}"; meters are ${meterIds.join(', ')}`, 'meter');
    const meter = getMeter(input.meter);
    if (meter.source === 'runs')
      throw new UsageRejected(
        'workflow_runs is counted from the runs themselves; it cannot be recorded by hand',
        'meter',
      );
    const quantity = input.quantity ?? 1;
    if (!Number.isSafeInteger(quantity) || quantity < 0)
      throw new UsageRejected('quantity must be a whole number ≥ 0', 'quantity');
    if (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 300)
      throw new UsageRejected('idempotencyKey must have 1 to 300 characters', 'idempotencyKey');
    const now = this.now();
    const occurredAt = input.occurredAt === undefined ? now : new Date(input.occurredAt);
    if (Number.isNaN(occurredAt.getTime())) throw new UsageRejected('occurredAt is not a date', 'occurredAt');
    if (occurredAt.getTime() > now.getTime() + FUTURE_SKEW_MS)
      throw new UsageRejected('occurredAt is in the future', 'occurredAt');
    if (occurredAt.getTime() < now.getTime() - this.graceMs)
      throw new UsageRejected(
        `occurredAt is ${formatAge(now.getTime() - occurredAt.getTime())} ago, past the ${formatAge(this.graceMs)} grace period for late usage`,
        'occurredAt',
      );
    if (options.enforce) {
      const { counted } = await this.reserve(workspaceId, { ...input, quantity, occurredAt });
      return { counted, occurredAt: occurredAt.toISOString() };
    }
    const inserted = await this.knex('usage_events')
      .insert({
        workspace_id: workspaceId,
        meter: input.meter,
        quantity,
        idempotency_key: input.idempotencyKey,
        subject:
          meter.aggregation === 'unique' ? (input.subject ?? input.idempotencyKey) : (input.subject ?? null),
        source: input.source ?? 'api',
        occurred_at: occurredAt,
      })
      .onConflict(['workspace_id', 'idempotency_key'])
      .ignore()
      .returning('id');
    const counted = inserted.length > 0;
    if (counted && this.options.onThreshold) await this.thresholdsSafely(workspaceId, input.meter, quantity);
    return { counted, occurredAt: occurredAt.toISOString() };
  }

  /** The period usage is billed in now. */
  async currentPeriod(workspaceId: string): Promise<Period> {
    const account = await this.accounts.get(workspaceId);
    return { start: account.currentPeriodStart, end: account.currentPeriodEnd };
  }

  /** Every meter's aggregate over a period (default: the current one). */
  async totals(
    workspaceId: string,
    period?: Period,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<Record<MeterId, number>> {
    const range = period ?? (await this.currentPeriod(workspaceId));
    const [aggregates, runs] = await Promise.all([
      db.raw<{ rows: AggregateRow[] }>(
        `SELECT meter, count(*) AS events, coalesce(sum(quantity), 0) AS total,
                coalesce(max(quantity), 0) AS peak, count(DISTINCT subject) AS subjects
           FROM usage_events
          WHERE workspace_id = ? AND occurred_at >= ? AND occurred_at < ?
          GROUP BY meter`,
        [workspaceId, range.start, range.end],
      ),
      db('runs')
        .where({ workspace_id: workspaceId })
        .andWhere('created_at', '>=', range.start)
        .andWhere('created_at', '<', range.end)
        // Test runs of a draft (a version of the workflow's hidden companion) are not billed.
        .whereNotExists(function testRuns() {
          void this.select(1)
            .from('workflow_versions as v')
            .whereRaw('v.id = runs.version_id AND v.workflow_id <> runs.workflow_id');
        })
        .count<{ count: string }>('* as count')
        .first(),
    ]);
    const totals = Object.fromEntries(meterIds.map((id) => [id, 0])) as Record<MeterId, number>;
    for (const row of aggregates.rows) {
      if (!(meterIds as readonly string[]).includes(row.meter)) continue;
      const id = row.meter as MeterId;
      const aggregation = getMeter(id).aggregation;
      totals[id] = Number(
        aggregation === 'count'
          ? row.events
          : aggregation === 'sum'
            ? row.total
            : aggregation === 'max'
              ? row.peak
              : row.subjects,
      );
    }
    totals.workflow_runs += Number(runs?.count ?? 0);
    return totals;
  }

  /**
   * One meter's aggregate over a period: what a reservation needs, on the (workspace, meter,
   * occurred_at) index — every send used to aggregate every meter and count the month's runs.
   */
  async meterTotal(
    workspaceId: string,
    meter: MeterId,
    period: Period,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<number> {
    const aggregation = getMeter(meter).aggregation;
    const select =
      aggregation === 'count'
        ? 'count(*)'
        : aggregation === 'sum'
          ? 'coalesce(sum(quantity), 0)'
          : aggregation === 'max'
            ? 'coalesce(max(quantity), 0)'
            : 'count(DISTINCT subject)';
    const [events, runs] = await Promise.all([
      db.raw<{ rows: Array<{ value: string }> }>(
        `SELECT ${select} AS value FROM usage_events
          WHERE workspace_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?`,
        [workspaceId, meter, period.start, period.end],
      ),
      meter === 'workflow_runs'
        ? db('runs')
            .where({ workspace_id: workspaceId })
            .andWhere('created_at', '>=', period.start)
            .andWhere('created_at', '<', period.end)
            // Test runs of a draft (a version of the workflow's hidden companion) are not billed.
            .whereNotExists(function testRuns() {
              void this.select(1)
                .from('workflow_versions as v')
                .whereRaw('v.id = runs.version_id AND v.workflow_id <> runs.workflow_id');
            })
            .count<{ count: string }>('* as count')
            .first()
        : Promise.resolve(undefined),
    ]);
    return Number(events.rows[0]?.value ?? 0) + Number(runs?.count ?? 0);
  }

  /** Usage per meter of the current period, with the effective plan's limits. */
  async usage(workspaceId: string): Promise<MeterUsage[]> {
    const account = await this.accounts.get(workspaceId);
    const plan = getPlan(effectivePlan(account, this.now()));
    const totals = await this.totals(workspaceId, {
      start: account.currentPeriodStart,
      end: account.currentPeriodEnd,
    });
    return meters.map((meter) => {
      const limit = plan.quotas[meter.id] ?? null;
      const used = totals[meter.id];
      return {
        meter: meter.id,
        title: meter.title,
        unit: meter.unit,
        aggregation: meter.aggregation,
        used,
        limit,
        periodStart: account.currentPeriodStart.toISOString(),
        periodEnd: account.currentPeriodEnd.toISOString(),
        overage: limit !== null && overageAllowed(plan, meter.id) ? Math.max(0, used - limit) : 0,
      };
    });
  }

  /** Would `quantity` more fit? Over the limit on a plan with overage: ok, marked as overage. */
  async evaluate(
    workspaceId: string,
    meter: MeterId,
    quantity = 1,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<QuotaCheck> {
    if (!(meterIds as readonly string[]).includes(meter))
      throw new UsageRejected(`Unknown meter "${meter}"; meters are ${meterIds.join(', ')}`, 'meter');
    const account = await this.accounts.get(workspaceId, db);
    const planId = effectivePlan(account, this.now());
    const plan = getPlan(planId);
    const limit = plan.quotas[meter] ?? null;
    const used = await this.meterTotal(
      workspaceId,
      meter,
      { start: account.currentPeriodStart, end: account.currentPeriodEnd },
      db,
    );
    if (limit === null) return { ok: true, meter, planId, used, limit, remaining: null, overage: false };
    // A gauge (max) is over when the new value is; the others when the sum is.
    const after = getMeter(meter).aggregation === 'max' ? Math.max(used, quantity) : used + quantity;
    const remaining = Math.max(0, limit - used);
    if (after <= limit) return { ok: true, meter, planId, used, limit, remaining, overage: false };
    if (overageAllowed(plan, meter))
      return { ok: true, meter, planId, used, limit, remaining, overage: true };
    return {
      ok: false,
      meter,
      planId,
      used,
      limit,
      remaining,
      overage: false,
      message: quotaMessage(planId, meter, limit),
    };
  }

  /** Throws QuotaExceeded when `quantity` more would pass a hard limit. */
  async check(
    workspaceId: string,
    meter: MeterId,
    quantity = 1,
    db: Knex | Knex.Transaction = this.knex,
  ): Promise<QuotaCheck> {
    const result = await this.evaluate(workspaceId, meter, quantity, db);
    if (!result.ok && result.limit !== null) {
      throw new QuotaExceeded(
        result.message ?? quotaMessage(result.planId, meter, result.limit),
        meter,
        result.planId,
        result.limit,
        result.used,
        nextPlanFor(result.planId, meter)?.id,
      );
    }
    return result;
  }

  /**
   * Check and record in one step, exactly: concurrent reservations of a workspace's meter queue
   * on an advisory lock, so a hard limit of 100 lets exactly 100 through. A key recorded before
   * (a re-send after a crash) passes without counting again. Call `release` if the action then
   * fails, so what was not done is not billed.
   */
  async reserve(workspaceId: string, input: UsageInput): Promise<{ counted: boolean }> {
    const quantity = input.quantity ?? 1;
    const counted = await this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [
        `revflow-usage:${workspaceId}:${input.meter}`,
      ]);
      const seen = await trx('usage_events')
        .where({ workspace_id: workspaceId, idempotency_key: input.idempotencyKey })
        .first<{ id: string } | undefined>('id');
      if (seen) return undefined;
      const check = await this.check(workspaceId, input.meter, quantity, trx);
      const inserted = await trx('usage_events')
        .insert({
          workspace_id: workspaceId,
          meter: input.meter,
          quantity,
          idempotency_key: input.idempotencyKey,
          subject:
            getMeter(input.meter).aggregation === 'unique'
              ? (input.subject ?? input.idempotencyKey)
              : (input.subject ?? null),
          source: input.source ?? 'api',
          occurred_at: input.occurredAt === undefined ? this.now() : new Date(input.occurredAt),
        })
        // The same key on another meter (another lock) may race this one: it is counted once.
        .onConflict(['workspace_id', 'idempotency_key'])
        .ignore()
        .returning('id');
      return inserted.length > 0 ? check : undefined;
    });
    if (!counted) return { counted: false };
    // The check saw the usage before this event: only a crossing costs more queries.
    const after =
      getMeter(input.meter).aggregation === 'max'
        ? Math.max(counted.used, quantity)
        : counted.used + quantity;
    if (
      this.options.onThreshold &&
      counted.limit !== null &&
      counted.limit > 0 &&
      after >= counted.limit * EXPANSION_THRESHOLD &&
      counted.used < counted.limit * EXPANSION_THRESHOLD
    )
      await this.thresholdsSafely(workspaceId, input.meter, quantity);
    return { counted: true };
  }

  /** Undo a reservation whose action failed. */
  async release(workspaceId: string, idempotencyKey: string): Promise<void> {
    await this.knex('usage_events')
      .where({ workspace_id: workspaceId, idempotency_key: idempotencyKey })
      .delete();
  }

  /** An expansion that cannot be recorded must not undo or fail the usage that triggered it. */
  private async thresholdsSafely(workspaceId: string, meter: MeterId, quantity: number): Promise<void> {
    try {
      await this.thresholds(workspaceId, meter, quantity);
    } catch (error) {
      process.emitWarning(
        `Recording an expansion opportunity for ${meter} of workspace ${workspaceId} failed: ${(error as Error).message}`,
        'RevflowBillingWarning',
      );
    }
  }

  private async thresholds(workspaceId: string, meter: MeterId, quantity: number): Promise<void> {
    const account = await this.accounts.get(workspaceId);
    const planId = effectivePlan(account, this.now());
    const limit = getPlan(planId).quotas[meter] ?? null;
    if (limit === null || limit === 0) return;
    const period = { start: account.currentPeriodStart, end: account.currentPeriodEnd };
    const used = (await this.totals(workspaceId, period))[meter];
    const aggregation = getMeter(meter).aggregation;
    // What this event added: one for count and unique meters (at most), its quantity for sums.
    const before = aggregation === 'sum' ? used - quantity : aggregation === 'max' ? 0 : used - 1;
    // Crossed the threshold with this event (the opportunity's stable id makes it once per period).
    if (used >= limit * EXPANSION_THRESHOLD && before < limit * EXPANSION_THRESHOLD) {
      await this.options.onThreshold?.({ workspaceId, account, planId, meter, used, limit, period });
    }
  }
}

function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(ms / 60_000)} min`;
}
