import { pino } from 'pino';
import { loadConfig } from '../../api/config.js';
import { createRuntime, type RuntimeBundle } from '../../api/runtime-factory.js';
import type { RuntimeOptions } from '../../engine/runtime.js';
import { nodeTypes } from '../fixtures/worker-test-kit.js';
import type { TestDatabase } from '../setup/db.js';

/**
 * The API side of queue mode in the test process, as `npm start` builds it with REDIS_URL set:
 * it creates and dispatches runs, runs the schedule sync, and executes nothing.
 */
export async function startQueueApi(
  db: TestDatabase,
  options: { redisUrl: string; queueName: string; runtime?: Partial<RuntimeOptions> },
): Promise<RuntimeBundle> {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    REDIS_URL: options.redisUrl,
    REVFLOW_STALE_EXECUTOR_MS: '2000',
    REVFLOW_LOG_LEVEL: 'silent',
  });
  const bundle = createRuntime(
    config,
    db.knex,
    pino({ level: 'silent' }),
    {},
    {
      role: 'api',
      nodeTypes,
      queue: {
        REVFLOW_QUEUE_NAME: options.queueName,
        REVFLOW_WORKER_CONCURRENCY: 4,
        REVFLOW_QUEUE_LOCK_MS: 3_000,
        REVFLOW_SHUTDOWN_TIMEOUT_MS: 5_000,
      },
      runtime: { sweepIntervalMs: 500, ...options.runtime },
    },
  );
  await bundle.start();
  return bundle;
}
