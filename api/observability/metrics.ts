import type { Counter, Histogram } from 'prom-client';
import { metrics } from '../metrics.js';

/**
 * The product's Prometheus metrics (served with the rest at `GET /metrics`; README
 * "Observability" lists them). Labels are bounded on purpose: node types, statuses and codes
 * are finite sets the code defines; a workflow id is a label only for the first
 * REVFLOW_METRICS_WORKFLOW_LABELS workflows this process sees (default 20), every other one is
 * counted as `other` — so a tenant creating thousands of workflows cannot explode the series.
 */

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const runMetrics = {
  started: metrics.counter('revflow_runs_started_total', 'Runs that began executing (new runs)', [
    'workflow',
  ]),
  resumed: metrics.counter(
    'revflow_runs_resumed_total',
    'Runs that went on executing after a wait or a takeover',
  ),
  finished: metrics.counter('revflow_runs_finished_total', 'Runs that finished, by status', [
    'workflow',
    'status',
  ]),
  suspended: metrics.counter('revflow_runs_suspended_total', 'Runs that suspended to wait (delay, approval, event)'),
  duration: metrics.histogram(
    'revflow_run_duration_seconds',
    'From a run starting to its end, by status',
    ['status'],
    SECONDS,
  ),
  stepDuration: metrics.histogram(
    'revflow_step_duration_seconds',
    'Step duration by node type (retries included)',
    ['node_type'],
    SECONDS,
  ),
  steps: metrics.counter('revflow_steps_total', 'Steps done with, by node type and status', [
    'node_type',
    'status',
  ]),
  attemptFailures: metrics.counter(
    'revflow_step_attempt_failures_total',
    'Failed step attempts (retried or not), by error code',
    ['code'],
  ),
  sandboxKills: metrics.counter(
    'revflow_sandbox_kills_total',
    'User code or expressions stopped by the sandbox: CPU timeout or memory limit',
    ['reason'],
  ),
};

export const ingressMetrics = {
  webhookResponses: metrics.counter(
    'revflow_webhook_responses_total',
    'Answers under /hooks by source (workflow, stripe, outbound) and HTTP status',
    ['source', 'status'],
  ),
  stripeEvents: metrics.counter(
    'revflow_stripe_events_total',
    'Stripe webhook events by outcome (applied, duplicate, no_workspace, bad_signature, failed, ...)',
    ['outcome'],
  ),
  mailDeliveries: metrics.counter(
    'revflow_mail_deliveries_total',
    'Emails handed to SMTP by outcome (sent, duplicate, refused, failed)',
    ['outcome'],
  ),
};

/**
 * A label value from an open set, bounded: the first `limit` distinct values keep their name,
 * later ones are `other`. One map lookup per call once a value is known.
 */
export class BoundedLabel {
  private readonly known = new Set<string>();

  constructor(private readonly limit: number) {}

  of(value: string): string {
    if (this.known.has(value)) return value;
    if (this.known.size < this.limit) {
      this.known.add(value);
      return value;
    }
    return 'other';
  }
}

/** Labelled children found by plain string keys: observing through the parent hashes a labels object. */
export class ChildCache<C> {
  private readonly children = new Map<string, C>();

  constructor(private readonly make: (key: string) => C) {}

  get(key: string): C {
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(key);
      this.children.set(key, child);
    }
    return child;
  }
}

export type HistogramChild = ReturnType<Histogram<string>['labels']>;
export type CounterChild = ReturnType<Counter<string>['labels']>;

const outcomes = new BoundedLabel(40);

/** Count one Stripe webhook event's outcome (api/billing/stripe/webhook-routes.ts). */
export function countStripeEvent(outcome: string): void {
  const safe = /^[a-z_]{1,40}$/.test(outcome) ? outcomes.of(outcome) : 'other';
  ingressMetrics.stripeEvents.inc({ outcome: safe });
}

/** Count one email's delivery outcome (api/mail/mailer.ts). */
export function countMailDelivery(outcome: 'sent' | 'duplicate' | 'refused' | 'failed'): void {
  ingressMetrics.mailDeliveries.inc({ outcome });
}
