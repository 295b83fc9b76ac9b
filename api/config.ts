import { z } from 'zod';
import { billingEnvShape } from './billing/settings.js';
import { databaseEnvShape } from './db/settings.js';
import { feedbackEnvShape } from './feedback/settings.js';

/** Configuration from the environment (DESIGN §2); documented in the README and .env.example. */
const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  REVFLOW_DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  REVFLOW_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REVFLOW_EXECUTOR_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(64),
  REVFLOW_SANDBOX_MEMORY_MB: z.coerce.number().int().min(8).max(4096).default(128),
  REVFLOW_SANDBOX_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
  REVFLOW_MAX_STEP_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 1024 * 1024),
  REVFLOW_STALE_EXECUTOR_MS: z.coerce.number().int().min(1000).default(30_000),
  // The AI layer (api/ai/config.ts reads these again for the node services): checked at start.
  LLM_BASE_URL: z.union([z.literal(''), z.string().url()]).optional(),
  LLM_MODEL: z.string().max(200).optional(),
  REVFLOW_AI_TIMEOUT_MS: z.union([z.literal(''), z.coerce.number().int().min(100).max(600_000)]).optional(),
  // Release center, NPS and feedback (api/feedback/settings.ts).
  ...feedbackEnvShape,
  // Trials, usage grace, the billing sweep (api/billing/settings.ts).
  ...billingEnvShape,
  // Pool size and the embedded PostgreSQL's port (api/db/settings.ts).
  ...databaseEnvShape,
});

export type AppConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

/**
 * Where people reach this server when REVFLOW_PUBLIC_URL is not set: the configured HOST and
 * PORT (a wildcard host is reached as localhost). Links in emails and the UI use it.
 */
export function derivedPublicUrl(host: string | undefined, port: string | number | undefined): string {
  const name = !host || host === '0.0.0.0' || host === '::' || host === '[::]' ? 'localhost' : host;
  const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  const number = port === undefined || port === '' ? 3000 : Number(port);
  return `http://${shown}${number === 80 ? '' : `:${number}`}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Unset: derived from HOST and PORT, and written back so every module reading it agrees
  // (api/http/settings.ts, billing, feedback and outbound links).
  if (!env.REVFLOW_PUBLIC_URL?.trim()) env.REVFLOW_PUBLIC_URL = derivedPublicUrl(env.HOST, env.PORT);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Bad configuration: ${problems}`);
  }
  return parsed.data;
}
