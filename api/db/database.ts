import type { Knex } from 'knex';
import { Model } from 'objection';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres.js';
import { createKnex, urlForDatabase } from './knex.js';
import { silentLogger, type DbLogger } from './logger.js';
import { migrateLatest } from './migrations.js';
import { databaseSettings } from './settings.js';

export interface OpenDatabaseOptions {
  /** Use this server; default `DATABASE_URL`. Without one, an embedded PostgreSQL is started. */
  databaseUrl?: string;
  /** Where the embedded cluster lives (`<dataDir>/pg`); default `REVFLOW_DATA_DIR` or `.data`. */
  dataDir?: string;
  logger?: DbLogger;
  /** Pool size; default `REVFLOW_DB_POOL_MAX` or 8. */
  poolMax?: number;
  /** Where the defaults above are read from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Database {
  knex: Knex;
  /** Connection URL of the application database (it holds the password for the embedded one). */
  url: string;
  /** Whether this process started the server (and `stop()` stops it). */
  embedded: boolean;
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'revflow';
const DEFAULT_EMBEDDED_PORT = 54329;

/**
 * Connect to the database of DESIGN §2 (external via DATABASE_URL, or embedded under the data
 * directory), bring its schema up to date and bind the Objection models to it.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const settings = databaseSettings(options.env ?? process.env);
  const logger = options.logger ?? silentLogger;
  const poolMax = options.poolMax ?? settings.REVFLOW_DB_POOL_MAX;
  const databaseUrl = nonEmpty(options.databaseUrl) ?? settings.DATABASE_URL;

  let server: EmbeddedPostgresServer | undefined;
  let url: string;
  if (databaseUrl !== undefined) {
    url = databaseUrl;
  } else {
    const dataDir = path.resolve(options.dataDir ?? settings.REVFLOW_DATA_DIR ?? '.data');
    server = await startEmbeddedPostgres({
      clusterDir: path.join(dataDir, 'pg'),
      port: settings.REVFLOW_PG_PORT ?? DEFAULT_EMBEDDED_PORT,
      logger,
    });
    url = server.url(EMBEDDED_DATABASE);
  }

  let knex: Knex | undefined;
  try {
    if (server !== undefined) await ensureDatabase(server.url('postgres'), EMBEDDED_DATABASE);
    knex = createKnex(url, poolMax === undefined ? {} : { poolMax });
    const applied = await migrateLatest(knex);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    Model.knex(knex);
  } catch (error) {
    await knex?.destroy().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    throw error;
  }

  const ready = knex;
  const runningServer = server;
  let stopped: Promise<void> | undefined;
  return {
    knex: ready,
    url,
    embedded: runningServer !== undefined,
    stop: () =>
      (stopped ??= (async () => {
        await ready.destroy();
        await runningServer?.stop();
      })()),
  };
}

/** Create the database on the server `adminUrl` points at, unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createKnex(adminUrl, { poolMax: 2 });
  try {
    const found = await admin.raw<{ rowCount: number }>('SELECT 1 FROM pg_database WHERE datname = ?', [
      name,
    ]);
    if (found.rowCount === 0) {
      await admin.raw('CREATE DATABASE ??', [name]);
    }
  } catch (error) {
    // Two processes starting together may both try; the loser finds it done.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.destroy();
  }
}

export { urlForDatabase };

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
