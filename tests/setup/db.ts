import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createKnex, urlForDatabase } from '../../api/db/knex.js';
import { PgRunStore, type PgRunStoreOptions } from '../../api/db/pg-run-store.js';
import { WorkflowRepository } from '../../api/db/workflow-repository.js';
import './context.js';

export interface TestDatabase {
  /** Name of this database on the test server. */
  name: string;
  url: string;
  knex: Knex;
  store: PgRunStore;
  workflows: WorkflowRepository;
  /** Close the connections and drop the database. */
  drop(): Promise<void>;
}

/** A database of its own, migrated (copied from the template the global setup made). */
export async function freshDatabase(
  options: { store?: PgRunStoreOptions; poolMax?: number } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `${inject('databasePrefix')}${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (admin) =>
    admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, inject('databaseTemplate')]),
  );
  const url = urlForDatabase(adminUrl, name);
  const knex = createKnex(url, { poolMax: options.poolMax ?? 8 });
  const store = new PgRunStore(knex, options.store);
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    knex,
    store,
    workflows: new WorkflowRepository(knex),
    drop: () =>
      (dropped ??= (async () => {
        await store.drain();
        await knex.destroy();
        await withAdmin(adminUrl, (admin) => admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]));
      })()),
  };
}

async function withAdmin<T>(adminUrl: string, use: (admin: Knex) => Promise<T>): Promise<T> {
  const admin = createKnex(adminUrl, { poolMax: 2 });
  try {
    return await use(admin);
  } finally {
    await admin.destroy();
  }
}
