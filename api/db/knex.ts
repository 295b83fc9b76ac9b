import knexFactory, { type Knex } from 'knex';

export interface CreateKnexOptions {
  /** Largest number of connections. Default 8: Postgres and Node share 2 cores, and the run
   * store batches its writes, so more connections would mostly queue inside Postgres. */
  poolMax?: number;
}

export function createKnex(url: string, options: CreateKnexOptions = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'revflow' },
    // min 0: idle connections are closed, so a restarted database is simply reconnected to.
    pool: { min: 0, max: Math.max(2, options.poolMax ?? 8) },
    acquireConnectionTimeout: 30_000,
  });
}

/** The same server, another database. */
export function urlForDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
