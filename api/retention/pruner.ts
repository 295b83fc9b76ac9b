import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { metrics } from '../metrics.js';
import { retentionPolicy, type RetentionDays, type RetentionPolicy } from './policy.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const FINISHED = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export interface PruneReport {
  workspaces: number;
  runs: number;
  stepIo: number;
  events: number;
  stripeEvents: number;
  mailDeliveries: number;
  /** False when the pass stopped at its row budget: the next pass goes on. */
  complete: boolean;
}

export interface PrunerOptions {
  policy?: RetentionPolicy;
  now?: () => Date;
  /** Rows per statement. Default 500: each DELETE holds its locks for a few milliseconds. */
  batchSize?: number;
  /** Rows a pass touches at most; the rest waits for the next pass. Default 20,000. */
  maxRowsPerPass?: number;
  /** Pause between two statements, leaving the database to the hot path. Default 20 ms. */
  pauseMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

const deleted = metrics.counter('revflow_retention_pruned_total', 'Rows pruned by retention, by kind', ['kind']);

type Kind = Exclude<keyof PruneReport, 'workspaces' | 'complete'>;

/**
 * Prunes what is past its plan's retention (policy.ts), workspace by workspace, in small
 * statements with pauses, from a timer: never inside a request or a run. Deleting a run deletes
 * its steps (trigger of the engine migration). Step I/O is cleared up to a mark per workspace
 * (`retention_marks`), so a pass reads only runs it has not cleared yet.
 */
export class RetentionPruner {
  private readonly policy: RetentionPolicy;
  private readonly now: () => Date;
  private readonly batchSize: number;
  private readonly maxRows: number;
  private readonly pauseMs: number;
  private running: Promise<PruneReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly knex: Knex,
    private readonly options: PrunerOptions = {},
  ) {
    this.policy = options.policy ?? retentionPolicy();
    this.now = options.now ?? (() => new Date());
    this.batchSize = options.batchSize ?? 500;
    this.maxRows = options.maxRowsPerPass ?? 20_000;
    this.pauseMs = options.pauseMs ?? 20;
  }

  /** One pass over every workspace; concurrent calls share the pass in flight. */
  pass(): Promise<PruneReport> {
    this.running ??= this.passOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Run a pass every `intervalMs` (the first after `firstDelayMs`) until `stop()`. */
  start(intervalMs: number, firstDelayMs = Math.min(intervalMs, 60_000)): void {
    const schedule = (delay: number): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.pass()
          .then((report) => {
            if (report.runs + report.stepIo + report.events + report.stripeEvents + report.mailDeliveries > 0)
              this.options.logger?.info({ event: 'retention.pruned', ...report }, 'retention pass');
          })
          .catch((error: unknown) =>
            this.options.logger?.warn({ err: error, event: 'retention.failed' }, 'retention pass failed'),
          )
          .finally(() => schedule(intervalMs));
      }, delay);
      this.timer.unref();
    };
    schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async passOnce(): Promise<PruneReport> {
    const report: PruneReport = {
      workspaces: 0,
      runs: 0,
      stepIo: 0,
      events: 0,
      stripeEvents: 0,
      mailDeliveries: 0,
      complete: true,
    };
    const now = this.now().getTime();
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await this.knex('workspaces as w')
        .leftJoin('billing_accounts as b', 'b.workspace_id', 'w.id')
        .where('w.id', '>', after)
        .orderBy('w.id')
        .limit(500)
        .select<{ id: string; plan_id: string }[]>(
          'w.id',
          this.knex.raw(`coalesce(b.plan_id, w.plan, 'free') as plan_id`),
        );
      for (const workspace of page) {
        if (this.stopped || !this.hasBudget(report)) return { ...report, complete: false };
        report.workspaces += 1;
        await this.pruneWorkspace(workspace.id, this.policy.daysFor(workspace.plan_id), now, report);
      }
      if (page.length < 500) break;
      after = page[page.length - 1]!.id;
    }
    // Stripe events that belong to no workspace: the free plan's days.
    const orphanCutoff = new Date(now - this.policy.daysFor('free').stripeEvents * DAY_MS);
    await this.repeat(report, 'stripeEvents', () =>
      this.deleteBatch(
        `DELETE FROM stripe_events WHERE event_id IN (SELECT event_id FROM stripe_events
           WHERE workspace_id IS NULL AND received_at < ? LIMIT ?)`,
        [orphanCutoff, this.batchSize],
      ),
    );
    if (!this.hasBudget(report)) report.complete = false;
    return report;
  }

  private async pruneWorkspace(
    workspaceId: string,
    days: RetentionDays,
    now: number,
    report: PruneReport,
  ): Promise<void> {
    const cutoff = (d: number): Date => new Date(now - d * DAY_MS);
    await this.clearStepIo(workspaceId, cutoff(days.stepIo), report);
    await this.repeat(report, 'runs', () =>
      this.deleteBatch(
        `DELETE FROM runs WHERE id IN (SELECT id FROM runs
           WHERE workspace_id = ? AND created_at < ? AND status = ANY(?) ORDER BY created_at LIMIT ?)`,
        [workspaceId, cutoff(days.runs), FINISHED, this.batchSize],
      ),
    );
    await this.repeat(report, 'events', () =>
      this.deleteBatch(
        `DELETE FROM events WHERE id IN (SELECT id FROM events
           WHERE workspace_id = ? AND received_at < ? LIMIT ?)`,
        [workspaceId, cutoff(days.events), this.batchSize],
      ),
    );
    await this.repeat(report, 'stripeEvents', () =>
      this.deleteBatch(
        `DELETE FROM stripe_events WHERE event_id IN (SELECT event_id FROM stripe_events
           WHERE workspace_id = ? AND received_at < ? LIMIT ?)`,
        [workspaceId, cutoff(days.stripeEvents), this.batchSize],
      ),
    );
    await this.repeat(report, 'mailDeliveries', () =>
      this.deleteBatch(
        `DELETE FROM mail_deliveries WHERE workspace_id = ? AND message_id IN (SELECT message_id
           FROM mail_deliveries WHERE workspace_id = ? AND created_at < ? LIMIT ?)`,
        [workspaceId, workspaceId, cutoff(days.mailDeliveries), this.batchSize],
      ),
    );
  }

  /** Clear step input/output/logs and run input/output of finished runs older than the cutoff. */
  private async clearStepIo(workspaceId: string, cutoff: Date, report: PruneReport): Promise<void> {
    const mark = await this.knex('retention_marks')
      .where({ workspace_id: workspaceId, kind: 'step_io' })
      .first<{ done_until: Date } | undefined>('done_until');
    let from = mark?.done_until ?? new Date(0);
    while (this.hasBudget(report) && !this.stopped && from < cutoff) {
      const runs = await this.knex('runs')
        .where('workspace_id', workspaceId)
        .andWhere('created_at', '>=', from)
        .andWhere('created_at', '<', cutoff)
        .whereIn('status', FINISHED)
        .orderBy('created_at')
        .limit(this.batchSize)
        .select<{ id: string; created_at: Date }[]>('id', 'created_at');
      const ids = runs.map((run) => run.id);
      if (ids.length > 0) {
        await this.knex.raw(
          `UPDATE steps SET input = NULL, output = NULL, logs = '[]'::jsonb
             WHERE run_id = ANY(?::uuid[]) AND (input IS NOT NULL OR output IS NOT NULL OR logs <> '[]'::jsonb)`,
          [ids],
        );
        await this.knex.raw(
          'UPDATE runs SET input = NULL, output = NULL WHERE id = ANY(?::uuid[]) AND (input IS NOT NULL OR output IS NOT NULL)',
          [ids],
        );
        this.count(report, 'stepIo', ids.length);
      }
      // A full batch: go on from its last run (ties at that instant are cleared again, harmlessly).
      const last = runs[runs.length - 1]?.created_at;
      const next =
        runs.length < this.batchSize || !last ? cutoff : new Date(Math.max(last.getTime(), from.getTime() + 1));
      await this.knex('retention_marks')
        .insert({ workspace_id: workspaceId, kind: 'step_io', done_until: next, updated_at: new Date() })
        .onConflict(['workspace_id', 'kind'])
        .merge();
      from = next;
      if (runs.length < this.batchSize) break;
      await this.pause();
    }
  }

  private async repeat(report: PruneReport, kind: Kind, batch: () => Promise<number>): Promise<void> {
    while (this.hasBudget(report) && !this.stopped) {
      const count = await batch();
      this.count(report, kind, count);
      if (count < this.batchSize) return;
      await this.pause();
    }
  }

  private async deleteBatch(sql: string, bindings: readonly unknown[]): Promise<number> {
    const result = await this.knex.raw<{ rowCount?: number }>(sql, bindings as Knex.RawBinding[]);
    return result.rowCount ?? 0;
  }

  private count(report: PruneReport, kind: Kind, rows: number): void {
    if (rows === 0) return;
    report[kind] += rows;
    deleted.inc({ kind }, rows);
  }

  private hasBudget(report: PruneReport): boolean {
    return report.runs + report.stepIo + report.events + report.stripeEvents + report.mailDeliveries < this.maxRows;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.pauseMs).unref());
  }
}

/** The pruner as `npm start` runs it: REVFLOW_RETENTION_INTERVAL_MS (default 10 min; 0 turns it off). */
export function startRetention(
  knex: Knex,
  logger: Pick<Logger, 'info' | 'warn'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RetentionPruner | undefined {
  const raw = env.REVFLOW_RETENTION_INTERVAL_MS;
  const interval = raw === undefined || raw === '' ? 10 * 60_000 : Number(raw);
  if (!Number.isFinite(interval) || interval <= 0) return undefined;
  const pruner = new RetentionPruner(knex, { policy: retentionPolicy(env), logger });
  pruner.start(Math.max(1_000, interval));
  return pruner;
}
