import type { Knex } from 'knex';

/**
 * Direct use of the `pg` connections in a Knex pool. The run store's hot path sends one named
 * (server-side prepared) statement per batch, skipping Knex's query builder, while sharing
 * Knex's pool so the process keeps a single set of connections.
 */

export interface QueryConfig {
  /** Statement name: the server parses and plans it once per connection. */
  name?: string;
  text: string;
  values?: readonly unknown[];
}

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

/** The part of a `pg` Client used here (`pg` ships no types of its own). */
export interface PgConnection {
  query<Row>(config: QueryConfig): Promise<QueryResult<Row>>;
}

interface KnexClientInternals {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

function internals(knex: Knex): KnexClientInternals {
  // Knex types its client as `any`; these two methods are its pool hooks (used by Knex itself).
  return knex.client as KnexClientInternals;
}

/** Run `use` with one connection of the pool held for its whole duration. */
export async function withConnection<T>(
  knex: Knex,
  use: (connection: PgConnection) => Promise<T>,
): Promise<T> {
  const client = internals(knex);
  const connection = await client.acquireConnection();
  try {
    return await use(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** One statement on a pooled connection. */
export function query<Row>(knex: Knex, config: QueryConfig): Promise<Row[]> {
  return withConnection(knex, async (connection) => (await connection.query<Row>(config)).rows);
}
