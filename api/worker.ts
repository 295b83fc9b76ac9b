/**
 * `npm run worker`: an executor for queue mode (DESIGN §2). It takes runs and schedule ticks
 * from BullMQ on REDIS_URL and keeps their state in the Postgres at DATABASE_URL, which it
 * shares with the API and the other workers. Start as many as needed, anywhere.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AnyNodeType, NodeServices } from '../engine/node.js';
import { ConfigError, type AppConfig } from './config.js';
import { loadEncryptionKey } from './crypto/encryption-key.js';
import { SecretBox } from './crypto/secret-box.js';
import { openDatabase } from './db/database.js';
import { startMetricsServer } from './observability/index.js';
import { loadQueueConfig } from './queue-config.js';
import { createRuntime } from './runtime-factory.js';
import { createNodeServices } from './services.js';

/** What a test-only worker adds: node types and the services they use. */
interface TestKit {
  nodeTypes: AnyNodeType[];
  services(knex: Knex): NodeServices;
}

export async function runWorker(config: AppConfig, logger: Logger): Promise<void> {
  if (!config.DATABASE_URL) {
    throw new ConfigError(
      'A worker needs DATABASE_URL: the Postgres the API uses (workers share it; an embedded database cannot be shared).',
    );
  }
  if (!config.REDIS_URL) {
    throw new ConfigError('A worker needs REDIS_URL: the Redis the API dispatches runs through.');
  }
  const queue = loadQueueConfig();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, logger });
  // Test-only: worker processes in tests need the test node types (tests/fixtures).
  const kit =
    process.env.REVFLOW_TEST_NODES === '1'
      ? ((await import('../tests/fixtures/worker-test-kit.js')) as TestKit)
      : undefined;
  // Nodes open credentials with the deployment key; without one they fail clearly at use.
  const secrets = process.env.REVFLOW_ENCRYPTION_KEY
    ? new SecretBox(
        await loadEncryptionKey({
          envKey: process.env.REVFLOW_ENCRYPTION_KEY,
          dataDir: config.REVFLOW_DATA_DIR,
          allowGenerate: false,
        }),
      )
    : undefined;
  if (!secrets) logger.warn('REVFLOW_ENCRYPTION_KEY is not set: nodes cannot use credentials on this worker');
  const services = { ...createNodeServices({ knex: db.knex, secrets }), ...kit?.services(db.knex) };
  const bundle = createRuntime(config, db.knex, logger, services, {
    role: 'worker',
    queue,
    nodeTypes: kit?.nodeTypes,
  });
  await bundle.start();
  // A worker serves no API: its own GET /metrics when REVFLOW_METRICS_PORT is set.
  const metricsPort = Number(process.env.REVFLOW_METRICS_PORT);
  const metricsServer =
    process.env.REVFLOW_METRICS_PORT && Number.isInteger(metricsPort)
      ? await startMetricsServer({
          port: metricsPort,
          host: config.HOST,
          token: process.env.REVFLOW_METRICS_TOKEN,
        })
      : undefined;
  logger.info(
    {
      executorId: bundle.runtime.engine.executorId,
      queue: queue.REVFLOW_QUEUE_NAME,
      concurrency: queue.REVFLOW_WORKER_CONCURRENCY,
    },
    'worker ready',
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, timeoutMs: queue.REVFLOW_SHUTDOWN_TIMEOUT_MS },
      'stopping: no new jobs, finishing in-flight runs',
    );
    const finished = await bundle.drain(queue.REVFLOW_SHUTDOWN_TIMEOUT_MS);
    if (!finished) {
      // Hand back: exit without finishing. Like after a crash, another worker takes the runs
      // over once this executor's heartbeat is stale; a side effect cut off here runs again
      // at most once, with the same idempotency key.
      logger.warn('in-flight runs did not finish in time; handing them back');
      process.exit(1);
    }
    metricsServer?.close();
    await bundle.close();
    await db.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
