import { z } from 'zod';

/**
 * Stripe settings from the environment (DESIGN §2). Without STRIPE_SECRET_KEY billing runs in
 * local mode: plans, seats and limits work, nothing is charged. STRIPE_WEBHOOK_SECRET alone
 * is enough to receive webhooks.
 */
const stripeEnvSchema = z.object({
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Another Stripe API origin (a stand-in in tests, a proxy): `http://127.0.0.1:12111`. */
  STRIPE_API_BASE: z.url().optional(),
  /** Seconds a webhook signature's timestamp may be old (Stripe's default: 300). */
  REVFLOW_STRIPE_WEBHOOK_TOLERANCE_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How often usage is reported to Stripe Meter Events, in ms; 0 = not by this process. */
  REVFLOW_STRIPE_METER_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** Usage events one report round sends at most. */
  REVFLOW_STRIPE_METER_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
});

export interface StripeSettings {
  secretKey: string | undefined;
  webhookSecret: string | undefined;
  api: { host: string; port: number; protocol: 'http' | 'https' } | undefined;
  webhookToleranceSeconds: number;
  meterIntervalMs: number;
  meterBatchSize: number;
}

export type StripeEnv = Partial<Record<keyof z.input<typeof stripeEnvSchema>, string>>;

/** Validated at start with the rest of the configuration (api/config.ts). */
export const stripeEnvShape = stripeEnvSchema.shape;

export function stripeSettingsFromEnv(env: StripeEnv | NodeJS.ProcessEnv = process.env): StripeSettings {
  const parsed = stripeEnvSchema.safeParse({
    STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY || undefined,
    STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET || undefined,
    STRIPE_API_BASE: env.STRIPE_API_BASE || undefined,
    REVFLOW_STRIPE_WEBHOOK_TOLERANCE_S: env.REVFLOW_STRIPE_WEBHOOK_TOLERANCE_S || undefined,
    REVFLOW_STRIPE_METER_INTERVAL_MS: env.REVFLOW_STRIPE_METER_INTERVAL_MS || undefined,
    REVFLOW_STRIPE_METER_BATCH: env.REVFLOW_STRIPE_METER_BATCH || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`Bad Stripe configuration: ${problems}`);
  }
  const data = parsed.data;
  let api: StripeSettings['api'];
  if (data.STRIPE_API_BASE) {
    const base = new URL(data.STRIPE_API_BASE);
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    api = {
      host: base.hostname,
      port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
      protocol,
    };
  }
  return {
    secretKey: data.STRIPE_SECRET_KEY,
    webhookSecret: data.STRIPE_WEBHOOK_SECRET,
    api,
    webhookToleranceSeconds: data.REVFLOW_STRIPE_WEBHOOK_TOLERANCE_S,
    meterIntervalMs: data.REVFLOW_STRIPE_METER_INTERVAL_MS,
    meterBatchSize: data.REVFLOW_STRIPE_METER_BATCH,
  };
}
