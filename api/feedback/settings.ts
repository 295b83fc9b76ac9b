import { z } from 'zod';

/**
 * Instance settings of the feedback loop, from the environment (REVFLOW_NPS_*, the config
 * style of api/config.ts, which validates them at start). Read on each use, so a test or an
 * operator's restart changes them; the README documents the defaults.
 */
const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('true')
  .transform((value) => value === 'true' || value === '1');

export const feedbackEnvShape = {
  /** Ask the NPS question at all. */
  REVFLOW_NPS_ENABLED: flag,
  /** Not before this many days after the person signed up. */
  REVFLOW_NPS_MIN_DAYS_AFTER_SIGNUP: z.coerce.number().int().min(0).max(3650).default(14),
  /** Not again within this many days of an answer. */
  REVFLOW_NPS_RESURVEY_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** At most one survey per person in this many days (Formbricks' global waiting period: 7). */
  REVFLOW_NPS_WAITING_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  /** After this many dismissals in a row, wait REVFLOW_NPS_RESURVEY_DAYS before asking again. */
  REVFLOW_NPS_MAX_DISMISSALS: z.coerce.number().int().min(1).max(100).default(3),
  /** How often the API publishes scheduled release notes and retries feedback emails (ms). */
  REVFLOW_RELEASES_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Sender of the "your idea shipped" emails (through SMTP_URL). */
  REVFLOW_FEEDBACK_FROM: z.string().min(3).default('Revflow <feedback@revflow.local>'),
};

const schema = z.object(feedbackEnvShape);
export type FeedbackSettings = z.infer<typeof schema>;

export function feedbackSettings(env: NodeJS.ProcessEnv = process.env): FeedbackSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Bad configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}
