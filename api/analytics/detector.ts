import type { Knex } from 'knex';
import type { JsonObject } from '../../engine/json.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';
import { scoreChurn, type ChurnOptions } from './churn.js';
import { MILESTONES, PERSONAL, milestoneSources, type Milestone } from './milestones.js';
import { SchemaProbe } from './schema-probe.js';

/**
 * The activity detector (issue 15): turns database rows into platform events — the ten
 * activation milestones, `session.login`, `session.active_day` and the daily retention counts
 * (`analytics.usage_day`) — then scores churn risk. Event ids are stable
 * (`activation.first_lead_added:<workspaceId>`), so running it twice, or in two processes,
 * emits nothing twice. Its first run backfills every old workspace with the times of the
 * facts themselves, so an old workspace is not "new".
 */
export interface DetectReport {
  milestones: number;
  logins: number;
  activeDays: number;
  usageDays: number;
  churnScored: number;
  churnHigh: number;
}

export interface DetectorOptions extends ChurnOptions {
  now?: () => Date;
}

const DAY_MS = 86_400_000;

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

export class ActivityDetector {
  private running: Promise<DetectReport> | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly knex: Knex,
    private readonly options: DetectorOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** One pass; concurrent callers in this process share the pass that is running. */
  run(): Promise<DetectReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<DetectReport> {
    const report: DetectReport = {
      milestones: await this.milestones(),
      logins: await this.logins(),
      activeDays: await this.activeDays(),
      usageDays: await this.usageDays(),
      churnScored: 0,
      churnHigh: 0,
    };
    // Churn risk reads the activity just detected: deliver it to the events table first.
    await billingFor(this.knex).outbox.flush();
    const churn = await scoreChurn(this.knex, { ...this.options, now: this.now() });
    report.churnScored = churn.scored;
    report.churnHigh = churn.crossed;
    // Deliver what was queued now, so an on-demand run's events are visible when it answers.
    await billingFor(this.knex).outbox.flush();
    return report;
  }

  private async milestones(): Promise<number> {
    const sources = await milestoneSources(new SchemaProbe(this.knex));
    let emitted = 0;
    for (const milestone of MILESTONES) {
      const source = sources[milestone];
      if (!source) continue;
      emitted += await this.knex.transaction(async (trx) => {
        const { rows } = await trx.raw<{
          rows: Array<{ workspace_id: string; user_key: string; user_id: string | null; occurred_at: Date }>;
        }>(
          `INSERT INTO analytics_milestones (workspace_id, milestone, user_key, user_id, occurred_at)
           SELECT s.workspace_id, ?, s.user_key, s.user_id, s.at FROM (${source}) s
            WHERE s.at IS NOT NULL AND s.workspace_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM analytics_milestones a
                               WHERE a.workspace_id = s.workspace_id AND a.milestone = ? AND a.user_key = s.user_key)
           ON CONFLICT DO NOTHING
           RETURNING workspace_id, user_key, user_id, occurred_at`,
          [milestone, milestone],
        );
        for (const row of rows) await this.emitMilestone(trx, milestone, row);
        return rows.length;
      });
    }
    return emitted;
  }

  private async emitMilestone(
    trx: Knex.Transaction,
    milestone: Milestone,
    row: { workspace_id: string; user_key: string; user_id: string | null; occurred_at: Date },
  ): Promise<void> {
    const personal = PERSONAL.has(milestone);
    await platformEvents(this.knex).emit(
      {
        workspaceId: row.workspace_id,
        eventId: `activation.${milestone}:${row.workspace_id}${personal ? `:${row.user_key}` : ''}`,
        name: `activation.${milestone}`,
        data: { milestone, occurredAt: iso(row.occurred_at), scope: personal ? 'user' : 'workspace' },
        ...(row.user_id ? { userId: row.user_id } : {}),
      },
      trx,
    );
  }

  private async watermark(trx: Knex.Transaction, key: string): Promise<Date | null> {
    const row = await trx('analytics_detector_state')
      .where({ key })
      .forUpdate()
      .first<{ watermark: Date } | undefined>('watermark');
    return row?.watermark ?? null;
  }

  private async setWatermark(trx: Knex.Transaction, key: string, watermark: Date): Promise<void> {
    await trx('analytics_detector_state')
      .insert({ key, watermark })
      .onConflict('key')
      .merge({ watermark: trx.raw('GREATEST(analytics_detector_state.watermark, EXCLUDED.watermark)') });
  }

  /** `session.login` in every workspace of the person, at the time of the login. */
  private async logins(): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const since = (await this.watermark(trx, 'logins')) ?? new Date(0);
      const rows: Array<{ id: string; user_id: string; workspace_id: string; at: Date }> = await trx(
        'analytics_logins as l',
      )
        .join('memberships as m', 'm.user_id', 'l.user_id')
        .where('l.at', '>', since)
        .orderBy('l.at')
        .limit(5000)
        .select('l.id', 'l.user_id', 'm.workspace_id', 'l.at');
      for (const row of rows) {
        await platformEvents(this.knex).emit(
          {
            workspaceId: row.workspace_id,
            eventId: `session.login:${row.id}:${row.workspace_id}`,
            name: 'session.login',
            data: { occurredAt: iso(row.at) },
            userId: row.user_id,
          },
          trx,
        );
      }
      const last = rows.at(-1);
      if (last) await this.setWatermark(trx, 'logins', last.at);
      return rows.length;
    });
  }

  /** `session.active_day`: a person did something in a workspace that day (the audit log). */
  private async activeDays(): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const since = await this.watermark(trx, 'active_days');
      const from = since ? new Date(since.getTime() - DAY_MS) : new Date(0);
      const { rows } = await trx.raw<{
        rows: Array<{ workspace_id: string; user_id: string; day: string; first_at: Date; actions: number }>;
      }>(
        `SELECT workspace_id, actor_user_id AS user_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                min(created_at) AS first_at, count(*)::int AS actions
           FROM audit_log WHERE actor_user_id IS NOT NULL AND created_at > ?
          GROUP BY 1, 2, 3`,
        [from],
      );
      for (const row of rows) {
        await platformEvents(this.knex).emit(
          {
            workspaceId: row.workspace_id,
            eventId: `session.active_day:${row.workspace_id}:${row.user_id}:${row.day}`,
            name: 'session.active_day',
            data: { day: row.day, occurredAt: iso(row.first_at) },
            userId: row.user_id,
          },
          trx,
        );
      }
      await this.setWatermark(trx, 'active_days', this.now());
      return rows.length;
    });
  }

  /** `analytics.usage_day`: per completed UTC day, the counts behind retention. */
  private async usageDays(): Promise<number> {
    const probe = new SchemaProbe(this.knex);
    const leads = await probe.firstTable(['leads', 'outbound_leads']);
    const campaigns = await probe.firstTable(['campaigns', 'outbound_campaigns']);
    const counted = (table: string | undefined, meter: string): string =>
      table
        ? `SELECT workspace_id, created_at AS at, 1 AS n FROM "${table}"`
        : `SELECT workspace_id, occurred_at AS at, 1 AS n FROM usage_events WHERE meter = '${meter}'`;
    return this.knex.transaction(async (trx) => {
      const since = await this.watermark(trx, 'usage_days');
      const today = new Date(Date.UTC(this.now().getUTCFullYear(), this.now().getUTCMonth(), this.now().getUTCDate()));
      const from = since ?? new Date(0);
      const { rows } = await trx.raw<{
        rows: Array<{ workspace_id: string; day: string; leads: number; campaigns: number; emails: number }>;
      }>(
        `SELECT workspace_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                count(*) FILTER (WHERE kind = 'leads')::int AS leads,
                count(*) FILTER (WHERE kind = 'campaigns')::int AS campaigns,
                count(*) FILTER (WHERE kind = 'emails')::int AS emails
           FROM (SELECT workspace_id, at, 'leads' AS kind FROM (${counted(leads, 'leads')}) a
                 UNION ALL SELECT workspace_id, at, 'campaigns' FROM (${counted(campaigns, 'campaigns')}) b
                 UNION ALL SELECT workspace_id, occurred_at, 'emails' FROM usage_events WHERE meter = 'emails') u
          WHERE at >= ? AND at < ?
          GROUP BY 1, 2`,
        [from, today],
      );
      for (const row of rows) {
        const data: JsonObject = {
          day: row.day,
          occurredAt: `${row.day}T00:00:00.000Z`,
          leadsAdded: row.leads,
          campaignsCreated: row.campaigns,
          emailsSent: row.emails,
        };
        await platformEvents(this.knex).emit(
          {
            workspaceId: row.workspace_id,
            eventId: `analytics.usage_day:${row.workspace_id}:${row.day}`,
            name: 'analytics.usage_day',
            data,
          },
          trx,
        );
      }
      await this.setWatermark(trx, 'usage_days', today);
      return rows.length;
    });
  }
}

/** REVFLOW_CHURN_RISK_THRESHOLD (0–100, default 60) and REVFLOW_ANALYTICS_INTERVAL_MS (default 60 s, 0 = off). */
export function analyticsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  threshold: number;
  intervalMs: number;
} {
  const threshold = Number(env.REVFLOW_CHURN_RISK_THRESHOLD ?? 60);
  const intervalMs = Number(env.REVFLOW_ANALYTICS_INTERVAL_MS ?? 60_000);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100)
    throw new Error('REVFLOW_CHURN_RISK_THRESHOLD must be a number from 0 to 100');
  if (!Number.isInteger(intervalMs) || intervalMs < 0)
    throw new Error('REVFLOW_ANALYTICS_INTERVAL_MS must be a whole number of milliseconds (0 turns it off)');
  return { threshold, intervalMs };
}

const detectors = new WeakMap<Knex, ActivityDetector>();

/** The one detector per database in this process: the interval and the refresh routes share it. */
export function detectorFor(knex: Knex): ActivityDetector {
  let detector = detectors.get(knex);
  if (!detector) {
    detector = new ActivityDetector(knex, { threshold: analyticsSettingsFromEnv().threshold });
    detectors.set(knex, detector);
  }
  return detector;
}

/** Start the detector on an interval (the API process); `stop()` waits for a pass in flight. */
export function startDetector(
  knex: Knex,
  options: { intervalMs: number; onError: (error: unknown) => void },
): { detector: ActivityDetector; stop: () => Promise<void> } {
  const detector = detectorFor(knex);
  let inFlight: Promise<unknown> | undefined;
  const tick = (): void => {
    inFlight = detector.run().catch(options.onError);
  };
  if (options.intervalMs === 0) return { detector, stop: async () => {} };
  // The first pass soon after start (the backfill), then one per interval.
  const first = setTimeout(tick, Math.min(options.intervalMs, 5_000));
  const timer = setInterval(tick, options.intervalMs);
  first.unref();
  timer.unref();
  return {
    detector,
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await inFlight;
    },
  };
}
