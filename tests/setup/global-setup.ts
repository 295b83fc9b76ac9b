import type { TestProject } from 'vitest/node';
import { existsSync } from 'node:fs';
import { mkdtemp, chmod, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../api/db/embedded-postgres.js';
import { findFreePort } from '../../api/db/ports.js';
import { createKnex, urlForDatabase } from '../../api/db/knex.js';
import { migrateLatest } from '../../api/db/migrations.js';
import { TEMPLATE_DATABASE } from './context.js';
import { REDIS_SERVER, startRedisServer } from './redis.js';

/**
 * One PostgreSQL for the whole test run: DATABASE_URL's server when set, otherwise a throwaway
 * embedded cluster. Migrations run once, into a template database; each test file copies it
 * (CREATE DATABASE ... TEMPLATE, see db.ts), which takes milliseconds.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Stop at once, with the one line to run, rather than failing test by test (issue 11).
  assertSystemPackages();
  const cleanups: Array<() => Promise<unknown>> = [];
  let adminUrl: string;

  const external = process.env.DATABASE_URL?.trim();
  if (external) {
    adminUrl = external;
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'revflow-test-pg-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    try {
      // mkdtemp makes the directory 0700; the postgres user must get through it (not list it).
      await chmod(dir, 0o711);
      const server = await startEmbeddedPostgres({
        clusterDir: path.join(dir, 'pg'),
        port: await findFreePort(),
        // Throwaway data: skip the disk flushes that make CREATE DATABASE and commits slow.
        settings: { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' },
      });
      cleanups.unshift(() => server.stop());
      adminUrl = server.url('postgres');
    } catch (error) {
      // Nothing left behind in the temp directory; the message is the one `npm start` gives.
      await runAll(cleanups);
      throw new Error(`The tests cannot start PostgreSQL: ${(error as Error).message}`, { cause: error });
    }
  }

  const prefix = `revflow_t${process.pid}_`;
  const admin = createKnex(adminUrl, { poolMax: 2 });
  cleanups.unshift(async () => {
    const { rows } = await admin.raw<{ rows: Array<{ datname: string }> }>(
      'SELECT datname FROM pg_database WHERE datname LIKE ? OR datname = ?',
      [`${prefix}%`, TEMPLATE_DATABASE],
    );
    for (const { datname } of rows) await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    await admin.destroy();
  });

  try {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [TEMPLATE_DATABASE]);
    await admin.raw('CREATE DATABASE ??', [TEMPLATE_DATABASE]);
    const template = createKnex(urlForDatabase(adminUrl, TEMPLATE_DATABASE), { poolMax: 2 });
    try {
      await migrateLatest(template);
    } finally {
      // A template must have no connections when it is copied.
      await template.destroy();
    }
  } catch (error) {
    await runAll(cleanups);
    throw error;
  }

  // Queue-mode tests share one Redis (each test uses its own queue names): REDIS_URL's, or a
  // redis-server started here that keeps nothing on disk.
  let redisUrl = process.env.REDIS_URL?.trim();
  if (!redisUrl) {
    try {
      const redis = await startRedisServer();
      cleanups.unshift(() => redis.stop());
      redisUrl = redis.url;
    } catch (error) {
      await runAll(cleanups);
      throw error;
    }
  }

  project.provide('redisUrl', redisUrl);
  project.provide('databaseAdminUrl', adminUrl);
  project.provide('databaseTemplate', TEMPLATE_DATABASE);
  project.provide('databasePrefix', prefix);
  return () => runAll(cleanups);
}

/** As tests/helpers/browser.ts finds it (not imported: that would load playwright here). */
const CHROMIUM_PATH = process.env.REVFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** What a fresh machine needs beside Node for `npm test` (README, first screen). */
export const SYSTEM_PACKAGES_LINE = 'apt-get install -y redis-server chromium';

/** Throw the one line to run when redis-server or Chromium is missing (and no REDIS_URL). */
export function assertSystemPackages(
  paths: { redisServer: string; chromium: string; redisUrl?: string | undefined } = {
    redisServer: REDIS_SERVER,
    chromium: CHROMIUM_PATH,
    redisUrl: process.env.REDIS_URL,
  },
): void {
  const missing: string[] = [];
  if (!paths.redisUrl?.trim() && !existsSync(paths.redisServer))
    missing.push(`redis-server (${paths.redisServer})`);
  if (!existsSync(paths.chromium)) missing.push(`Chromium (${paths.chromium})`);
  if (missing.length === 0) return;
  throw new Error(
    `npm test needs ${missing.join(' and ')}, which this machine lacks. Install them with: ` +
      `${SYSTEM_PACKAGES_LINE} (or set REDIS_URL / REVFLOW_REDIS_SERVER / REVFLOW_CHROMIUM)`,
  );
}

async function runAll(cleanups: Array<() => Promise<unknown>>): Promise<void> {
  for (const cleanup of cleanups) {
    await cleanup().catch((error: unknown) => console.error('test database cleanup failed:', error));
  }
}
