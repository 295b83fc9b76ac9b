import type { Knex } from 'knex';
import { effectivePlan, type BillingAccount } from './accounts.js';
import { billingFor } from './hub.js';
import { getPlan, nextPlanFor, type PlanId } from './plans.js';
import { QuotaExceeded } from './errors.js';
import { EXPANSION_THRESHOLD, overageAllowed, quotaMessage } from './usage.js';

interface Allowance {
  planId: PlanId;
  /** Null: unlimited, or over the limit is billed as overage. */
  limit: number | null;
  used: number;
  periodEndMs: number;
  loadedAt: number;
  /** The plan's quota even when overage is billed (null: unlimited): what 80% and 100% are of. */
  quota: number | null;
  account: BillingAccount;
}

/**
 * The workflow-runs quota, checked before a run starts. Runs are counted from the runs table
 * (no write per run); a workspace's count is read at most every `refreshMs` and counted up in
 * memory in between, so the hot path of a webhook is one map lookup. Several processes may
 * together overshoot a limit by the runs they start within one refresh; nothing else leaks.
 */
export class RunQuota {
  private readonly allowances = new Map<string, Allowance>();
  private readonly loading = new Map<string, Promise<Allowance>>();

  constructor(
    private readonly knex: Knex,
    private readonly refreshMs = 5_000,
  ) {}

  /** Throws QuotaExceeded (a 402 over HTTP) naming the limit and the plan when the plan allows no more runs. */
  admit(workspaceId: string): void | Promise<void> {
    const allowance = this.allowances.get(workspaceId);
    const now = Date.now();
    if (allowance && now - allowance.loadedAt < this.refreshMs && now < allowance.periodEndMs) {
      this.take(workspaceId, allowance);
      return;
    }
    return this.load(workspaceId).then((fresh) => this.take(workspaceId, fresh));
  }

  private take(workspaceId: string, allowance: Allowance): void {
    if (allowance.limit !== null && allowance.used >= allowance.limit) {
      const next = nextPlanFor(allowance.planId, 'workflow_runs');
      throw new QuotaExceeded(
        quotaMessage(allowance.planId, 'workflow_runs', allowance.limit),
        'workflow_runs',
        allowance.planId,
        allowance.limit,
        allowance.used,
        next?.id,
      );
    }
    allowance.used += 1;
    this.allowances.set(workspaceId, allowance);
    const quota = allowance.quota;
    if (quota !== null && quota > 0) {
      const before = allowance.used - 1;
      // Like the other meters (usage.ts), the run that crosses 80% — and here also the one that
      // reaches 100% — offers the next tier; the opportunity's stable id makes each once a period.
      for (const level of [EXPANSION_THRESHOLD, 1]) {
        if (before < quota * level && allowance.used >= quota * level) this.offerUpgrade(allowance, quota);
      }
    }
  }

  /** Off the hot path: a run is never slowed or refused by recording an opportunity. */
  private offerUpgrade(allowance: Allowance, quota: number): void {
    const { account } = allowance;
    void billingFor(this.knex)
      .expansions.quotaThreshold({
        workspaceId: account.workspaceId,
        account,
        planId: allowance.planId,
        meter: 'workflow_runs',
        used: allowance.used,
        limit: quota,
        period: { start: account.currentPeriodStart, end: account.currentPeriodEnd },
      })
      .catch((error: unknown) =>
        process.emitWarning(
          `Recording a workflow-runs upgrade opportunity for ${account.workspaceId} failed: ${(error as Error).message}`,
          'RevflowBillingWarning',
        ),
      );
  }

  private load(workspaceId: string): Promise<Allowance> {
    let pending = this.loading.get(workspaceId);
    if (!pending) {
      pending = this.read(workspaceId).finally(() => this.loading.delete(workspaceId));
      this.loading.set(workspaceId, pending);
    }
    return pending;
  }

  private async read(workspaceId: string): Promise<Allowance> {
    const billing = billingFor(this.knex);
    const account = await billing.accounts.get(workspaceId);
    const planId = effectivePlan(account);
    const plan = getPlan(planId);
    const quota = plan.quotas.workflow_runs ?? null;
    const limit = quota === null || overageAllowed(plan, 'workflow_runs') ? null : quota;
    let used = 0;
    if (quota !== null) {
      const row = await this.knex('runs')
        .where({ workspace_id: workspaceId })
        .andWhere('created_at', '>=', account.currentPeriodStart)
        .andWhere('created_at', '<', account.currentPeriodEnd)
        // Test runs of a draft (a version of the workflow's hidden companion) are not billed.
        .whereNotExists(function testRuns() {
          void this.select(1)
            .from('workflow_versions as v')
            .whereRaw('v.id = runs.version_id AND v.workflow_id <> runs.workflow_id');
        })
        .count<{ count: string }>('* as count')
        .first();
      used = Number(row?.count ?? 0);
    }
    return {
      planId,
      limit,
      used,
      quota,
      account,
      periodEndMs: account.currentPeriodEnd.getTime(),
      loadedAt: Date.now(),
    };
  }
}
