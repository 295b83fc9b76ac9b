import type { Knex } from 'knex';
import Stripe from 'stripe';
import type { RuntimeLogger } from '../../../engine/runtime.js';
import { plans, type MeterId } from '../plans.js';
import { meterEventName } from './provider.js';
import { createStripeClient } from './client.js';
import type { StripeSettings } from './config.js';

export interface MeterReporterOptions {
  knex: Knex;
  stripe: Stripe;
  logger: RuntimeLogger;
  /** Usage events one round sends at most. Default 200. */
  batchSize?: number;
  /** Tries per event within one round (the first and its retries). Default 3. */
  triesPerRound?: number;
  /** Rounds after which an event is left alone (its last_error says why). Default 10. */
  maxAttempts?: number;
  /** First backoff; doubles per attempt, with jitter, up to `maxBackoffMs`. Default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claimed row is another reporter's to leave alone. Default 5 minutes. */
  claimMs?: number;
  /** Meters reported. Default: every meter some plan bills overage for. */
  meters?: readonly string[];
}

export interface ReportRound {
  reported: number;
  failed: number;
}

interface PendingRow {
  identifier: string;
  attempts: number;
  meter: string;
  quantity: string | number;
  occurred_at: Date;
  stripe_customer_id: string;
}

/** Stripe accepts meter events up to 35 days old; older ones are never sent. */
const MAX_AGE = "interval '35 days'";

/** Every meter a plan bills overage for (events-sourced meters only: runs have no usage rows). */
export function billedMeters(): MeterId[] {
  const meters = new Set<MeterId>();
  for (const plan of plans) {
    if (!plan.overage.allowed) continue;
    for (const meter of Object.keys(plan.overage.prices) as MeterId[]) meters.add(meter);
  }
  return [...meters];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 5xx, 429, a lost connection: worth another try with the same identifier and key. */
function retryable(error: unknown): boolean {
  if (error instanceof Stripe.errors.StripeConnectionError) return true;
  if (error instanceof Stripe.errors.StripeRateLimitError) return true;
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    return status === 0 || status === 409 || status === 429 || status >= 500;
  }
  return true;
}

/** Stripe refusing an identifier it has seen: the event was reported by an earlier try. */
function alreadyReported(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeError &&
    /identifier/i.test(error.message) &&
    /already|duplicate|exists|unique/i.test(error.message)
  );
}

/**
 * Reports usage events to Stripe Meter Events (`billing.meterEvents.create`), in bounded rounds.
 *
 * Every usage event of a workspace with a Stripe customer gets one `stripe_meter_reports` row
 * keyed by `rfu_<sha256(workspace, usage idempotency key)>`, the Meter Event identifier Stripe
 * itself dedups on. A round claims due rows (SKIP LOCKED, so several processes share the work),
 * sends each with its identifier and a matching Idempotency-Key (a retried call replays, never
 * duplicates), retries 5xx/429/network failures with exponential backoff and jitter, and marks
 * `reported_at` — after which the row is never sent again. A process that dies mid-round leaves
 * claimed rows that come back when the claim expires; resending them is harmless, as Stripe
 * knows the identifier.
 */
export class MeterReporter {
  private readonly batchSize: number;
  private readonly triesPerRound: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly claimMs: number;
  private readonly meters: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReportRound> | undefined;
  private stopped = false;

  constructor(private readonly options: MeterReporterOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.triesPerRound = options.triesPerRound ?? 3;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.claimMs = options.claimMs ?? 300_000;
    this.meters = options.meters ?? billedMeters();
  }

  /** Report rounds every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.round()
          .catch((error: unknown) =>
            this.options.logger.warn({ err: error }, 'reporting usage to Stripe failed'),
          )
          .finally(() => {
            if (!this.stopped) loop();
          });
      }, intervalMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One round: enqueue new usage events, then send what is due (one round at a time). */
  round(): Promise<ReportRound> {
    this.running ??= this.doRound().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private async doRound(): Promise<ReportRound> {
    const { knex } = this.options;
    await knex.raw(
      `INSERT INTO stripe_meter_reports (identifier, usage_event_id, workspace_id)
       SELECT 'rfu_' || encode(sha256(convert_to(ue.workspace_id::text || E'\\n' || ue.idempotency_key, 'UTF8')), 'hex'),
              ue.id, ue.workspace_id
         FROM billing_accounts b
         JOIN usage_events ue ON ue.workspace_id = b.workspace_id
         LEFT JOIN stripe_meter_reports r ON r.usage_event_id = ue.id
        WHERE b.stripe_customer_id IS NOT NULL AND r.usage_event_id IS NULL
          AND ue.meter = ANY(?) AND ue.occurred_at > now() - ${MAX_AGE}
        ORDER BY ue.occurred_at
        LIMIT ?
       ON CONFLICT DO NOTHING`,
      [this.meters as string[], this.batchSize * 2],
    );
    const claimed = await knex.raw<{ rows: PendingRow[] }>(
      `WITH due AS (
         SELECT identifier FROM stripe_meter_reports
          WHERE reported_at IS NULL AND next_attempt_at <= now() AND attempts < ?
            AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY next_attempt_at
          LIMIT ?
          FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE stripe_meter_reports r SET claimed_until = now() + (? * interval '1 millisecond')
           FROM due WHERE r.identifier = due.identifier
         RETURNING r.identifier, r.attempts, r.usage_event_id)
       SELECT c.identifier, c.attempts, ue.meter, ue.quantity, ue.occurred_at, b.stripe_customer_id
         FROM claimed c
         JOIN usage_events ue ON ue.id = c.usage_event_id
         JOIN billing_accounts b ON b.workspace_id = ue.workspace_id
        ORDER BY ue.occurred_at`,
      [this.maxAttempts, this.batchSize, this.claimMs],
    );
    const result: ReportRound = { reported: 0, failed: 0 };
    for (const row of claimed.rows) {
      if (await this.send(row)) result.reported += 1;
      else result.failed += 1;
    }
    return result;
  }

  private async send(row: PendingRow): Promise<boolean> {
    const { knex, stripe } = this.options;
    let attempts = row.attempts;
    for (let tryNumber = 1; ; tryNumber++) {
      attempts += 1;
      try {
        await stripe.billing.meterEvents.create(
          {
            event_name: meterEventName(row.meter),
            identifier: row.identifier,
            timestamp: Math.floor(row.occurred_at.getTime() / 1000),
            payload: { stripe_customer_id: row.stripe_customer_id, value: String(row.quantity) },
          },
          // The same key on every try: Stripe replays the first answer instead of counting twice.
          { idempotencyKey: `revflow-meter-${row.identifier}`, maxNetworkRetries: 0 },
        );
        await this.mark(row.identifier, { attempts, reported: true, error: null });
        return true;
      } catch (error) {
        if (alreadyReported(error)) {
          await this.mark(row.identifier, { attempts, reported: true, error: null });
          return true;
        }
        const message = (error as Error)?.message ?? String(error);
        const again = retryable(error);
        if (again && tryNumber < this.triesPerRound && !this.stopped) {
          await knex('stripe_meter_reports')
            .where({ identifier: row.identifier })
            .update({ attempts, last_error: message });
          await sleep(this.backoff(attempts));
          continue;
        }
        this.options.logger.warn(
          { identifier: row.identifier, attempts, err: error },
          'a usage event was not reported to Stripe',
        );
        await this.mark(row.identifier, {
          attempts,
          reported: false,
          error: message,
          // Refused outright (400): no point trying soon; it stays visible in last_error.
          retryInMs: again ? this.backoff(attempts) : this.maxBackoffMs,
        });
        return false;
      }
    }
  }

  private async mark(
    identifier: string,
    outcome: { attempts: number; reported: boolean; error: string | null; retryInMs?: number },
  ): Promise<void> {
    const { knex } = this.options;
    await knex('stripe_meter_reports')
      .where({ identifier })
      .update({
        attempts: outcome.attempts,
        last_error: outcome.error,
        claimed_until: null,
        ...(outcome.reported
          ? { reported_at: knex.fn.now() }
          : {
              next_attempt_at: knex.raw("now() + (? * interval '1 millisecond')", [outcome.retryInMs ?? 0]),
            }),
      });
  }
}

/**
 * The API process's reporter: rounds every REVFLOW_STRIPE_METER_INTERVAL_MS while
 * STRIPE_SECRET_KEY is set (several processes may run it: rows are claimed). Nothing otherwise.
 */
export function startMeterReporting(deps: { knex: Knex; logger: RuntimeLogger; settings: StripeSettings }): {
  reporter: MeterReporter | undefined;
  stop: () => Promise<void>;
} {
  const stripe = createStripeClient(deps.settings);
  if (!stripe || deps.settings.meterIntervalMs === 0)
    return { reporter: undefined, stop: async () => undefined };
  const reporter = new MeterReporter({
    knex: deps.knex,
    stripe,
    logger: deps.logger,
    batchSize: deps.settings.meterBatchSize,
  });
  reporter.start(deps.settings.meterIntervalMs);
  return { reporter, stop: () => reporter.stop() };
}
