import { z } from 'zod';

/**
 * Billing settings from the environment, in the config style of api/config.ts (which validates
 * them at start with the rest); read on each use, so a test or a restart changes them. Stripe's
 * own settings live in stripe/config.ts. The README documents the defaults.
 */
const blankIsUnset = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const billingEnvShape = {
  /** Days of the trial a new workspace starts with; 0 disables trials. */
  REVFLOW_TRIAL_DAYS: z.preprocess(
    blankIsUnset,
    z.coerce
      .number({ error: 'a whole number of days from 0 to 365' })
      .int('a whole number of days from 0 to 365')
      .min(0, 'a whole number of days from 0 to 365')
      .max(365, 'a whole number of days from 0 to 365')
      .default(14),
  ),
  /** How late a usage event may arrive, in hours. */
  REVFLOW_USAGE_GRACE_HOURS: z.preprocess(
    blankIsUnset,
    z.coerce.number({ error: 'a number of hours ≥ 0' }).min(0, 'a number of hours ≥ 0').default(48),
  ),
  /** How often trials are moved on and billing events emitted, in ms. */
  REVFLOW_BILLING_SWEEP_MS: z.preprocess(
    blankIsUnset,
    z.coerce
      .number({ error: 'a whole number of ms ≥ 1000' })
      .int('a whole number of ms ≥ 1000')
      .min(1000, 'a whole number of ms ≥ 1000')
      .default(60_000),
  ),
  /** Stripe mode when set (api/billing/stripe/config.ts reads the rest of Stripe's settings). */
  STRIPE_SECRET_KEY: z.string().optional(),
  /** Links in billing emails and Checkout's return URLs. */
  REVFLOW_PUBLIC_URL: z.preprocess(blankIsUnset, z.string().default('http://localhost:3000')),
};

const schema = z.object(billingEnvShape);
export type BillingSettings = z.infer<typeof schema>;

/** The billing settings, or an error naming the variable and what it must be. */
export function billingSettings(env: NodeJS.ProcessEnv = process.env): BillingSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'billing setting');
    throw new Error(`${name} must be ${issue?.message}, not "${String(env[name])}"`);
  }
  return parsed.data;
}

/** 'stripe' when STRIPE_SECRET_KEY is set, else local billing (nothing is charged). */
export function billingMode(env: NodeJS.ProcessEnv = process.env): 'local' | 'stripe' {
  return billingSettings(env).STRIPE_SECRET_KEY?.trim() ? 'stripe' : 'local';
}
