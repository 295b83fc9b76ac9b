import { z } from 'zod';
import { ConfigError } from './config.js';

/** Queue-mode settings from the environment (DESIGN §2: REVFLOW_* variables). */
const queueEnvSchema = z.object({
  /** BullMQ queue name; deployments sharing one Redis need different names. */
  REVFLOW_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'use letters, digits, _, . and - (no ":")')
    .default('revflow-runs'),
  /** Runs one worker process executes at once. */
  REVFLOW_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(16),
  /** Job lock in ms: a killed worker's jobs are handed on after about this long. */
  REVFLOW_QUEUE_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How long a stopping worker lets in-flight runs finish before it exits anyway. */
  REVFLOW_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
});

export type QueueConfig = z.infer<typeof queueEnvSchema>;

export function loadQueueConfig(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  const parsed = queueEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Bad configuration: ${problems}`);
  }
  return parsed.data;
}
