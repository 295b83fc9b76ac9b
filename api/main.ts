/**
 * `npm start`: API, scheduler and executor in one process, on the embedded defaults
 * (DESIGN §2): a real PostgreSQL under .data/ when no DATABASE_URL is set, runs in-process.
 */
import type { Server } from 'node:http';
import { pino } from 'pino';
import { analyticsSettingsFromEnv, startDetector } from './analytics/detector.js';
import { createApi } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { loadEncryptionKey } from './crypto/encryption-key.js';
import { SecretBox } from './crypto/secret-box.js';
import { openDatabase } from './db/database.js';
import { startRetention } from './retention/pruner.js';
import { createRuntime } from './runtime-factory.js';
import { createNodeServices } from './services.js';

const startedAt = performance.now();

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({
    level: config.REVFLOW_LOG_LEVEL,
    redact: ['*.password', '*.secret', '*.apiKey', 'req.headers.authorization', 'req.headers.cookie'],
  });
  if (process.argv.includes('--worker')) {
    // `npm run worker`: queue mode's executor, no HTTP server (api/worker.ts).
    const { runWorker } = await import('./worker.js');
    await runWorker(config, logger);
    return;
  }
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.REVFLOW_DATA_DIR,
    logger,
  });
  // Secrets at rest are sealed under REVFLOW_ENCRYPTION_KEY, or a key generated into the data dir.
  const key = await loadEncryptionKey({
    envKey: process.env.REVFLOW_ENCRYPTION_KEY,
    dataDir: config.REVFLOW_DATA_DIR,
    allowGenerate: !config.DATABASE_URL,
  });
  const secrets = new SecretBox(key);
  // With REDIS_URL this process dispatches through BullMQ and executes no run (queue mode).
  const bundle = createRuntime(config, db.knex, logger, createNodeServices({ knex: db.knex, secrets }), {
    role: 'api',
  });
  await bundle.start();
  const { app, close: closeApi } = createApi({ knex: db.knex, bundle, logger, secrets });
  // Growth analytics (issue 15): milestones, logins, activity and churn risk on an interval.
  const analytics = startDetector(db.knex, {
    intervalMs: analyticsSettingsFromEnv().intervalMs,
    onError: (error) => logger.warn({ err: error }, 'analytics detector pass failed'),
  });
  // Runs, step I/O, events, Stripe events and mail deliveries past their plan's retention.
  const retention = startRetention(db.knex, logger);
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    {
      readyMs: Math.round(performance.now() - startedAt),
      database: config.DATABASE_URL ? 'external' : 'embedded',
    },
    `Revflow is ready on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`,
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight runs');
    server.close();
    await analytics.stop();
    await retention?.stop();
    await closeApi();
    await bundle.close();
    await db.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
