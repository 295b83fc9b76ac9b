import { ConfigError } from '../config.js';

/**
 * How long a workspace's data is kept, by plan (README "Observability" → Retention). Days:
 * - `runs`: finished runs and their steps are deleted after this.
 * - `stepIo`: step input, output and logs (and the run's input and output) are cleared after
 *   this, earlier than the run itself, which stays listed with its status and timings.
 * - `events`: product and platform events (what `trigger.event` and analytics read).
 * - `stripeEvents`: Stripe webhook events received for the workspace.
 * - `mailDeliveries`: the exactly-once log of sent email; never shorter than `runs` (a re-run of
 *   a step of a kept run must still find its mark).
 * Override per plan with REVFLOW_RETENTION_<PLAN>, e.g.
 * `REVFLOW_RETENTION_FREE=runs=14,step_io=7,events=180`.
 */
export interface RetentionDays {
  runs: number;
  stepIo: number;
  events: number;
  stripeEvents: number;
  mailDeliveries: number;
}

export const DEFAULT_RETENTION: Readonly<Record<string, RetentionDays>> = {
  free: { runs: 7, stepIo: 3, events: 90, stripeEvents: 180, mailDeliveries: 30 },
  starter: { runs: 30, stepIo: 14, events: 365, stripeEvents: 400, mailDeliveries: 30 },
  professional: { runs: 90, stepIo: 30, events: 730, stripeEvents: 400, mailDeliveries: 90 },
  enterprise: { runs: 365, stepIo: 90, events: 1095, stripeEvents: 730, mailDeliveries: 365 },
};

const KEYS: Record<string, keyof RetentionDays> = {
  runs: 'runs',
  step_io: 'stepIo',
  events: 'events',
  stripe_events: 'stripeEvents',
  mail_deliveries: 'mailDeliveries',
};

export interface RetentionPolicy {
  /** The days of a plan (an unknown plan id gets the free plan's). */
  daysFor(planId: string): RetentionDays;
}

function normalize(days: RetentionDays): RetentionDays {
  return {
    ...days,
    stepIo: Math.min(days.stepIo, days.runs),
    mailDeliveries: Math.max(days.mailDeliveries, days.runs),
  };
}

export function retentionPolicy(
  env: Readonly<Record<string, string | undefined>> = process.env,
  defaults: Readonly<Record<string, RetentionDays>> = DEFAULT_RETENTION,
): RetentionPolicy {
  const plans = new Map<string, RetentionDays>();
  for (const [planId, days] of Object.entries(defaults)) {
    const override = env[`REVFLOW_RETENTION_${planId.toUpperCase()}`];
    const merged = { ...days };
    for (const pair of (override ?? '').split(',').filter((entry) => entry.trim() !== '')) {
      const [name, value] = pair.split('=').map((part) => part.trim());
      const key = name ? KEYS[name] : undefined;
      const number = Number(value);
      if (!key || !Number.isInteger(number) || number < 1 || number > 36_500) {
        throw new ConfigError(
          `REVFLOW_RETENTION_${planId.toUpperCase()}: "${pair}" is not <${Object.keys(KEYS).join('|')}>=<days from 1 to 36500>`,
        );
      }
      merged[key] = number;
    }
    plans.set(planId, normalize(merged));
  }
  const fallback = plans.get('free') ?? normalize(DEFAULT_RETENTION.free!);
  return { daysFor: (planId) => plans.get(planId) ?? fallback };
}
