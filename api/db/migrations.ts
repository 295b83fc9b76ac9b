import type { Knex } from 'knex';
import * as engine from '../../migrations/20261127000001_engine.js';
import * as accounts from '../../migrations/20261127000002_accounts.js';
import * as webhooks from '../../migrations/20261127000003_webhooks.js';
import * as credentials from '../../migrations/20261127000004_credentials.js';
import * as events from '../../migrations/20261127000005_events.js';
import * as billing from '../../migrations/20261127000006_billing.js';
import * as stripe from '../../migrations/20261127000007_stripe.js';
import * as waits from '../../migrations/20261127000008_waits.js';
import * as mailDeliveries from '../../migrations/20261127000009_mail_deliveries.js';
import * as hardening from '../../migrations/20261204000010_hardening.js';
import * as hardeningApi from '../../migrations/20261204000011_hardening_api.js';
import * as ai from '../../migrations/20261204000012_ai.js';
import * as safety from '../../migrations/20261204000013_safety.js';
import * as outbound from '../../migrations/20261204000014_outbound.js';
import * as analytics from '../../migrations/20261204000015_analytics.js';
import * as releases from '../../migrations/20261204000016_releases.js';
import * as feedback from '../../migrations/20261204000017_feedback.js';
import * as voice from '../../migrations/20261204000018_voice.js';
import * as knowledge from '../../migrations/20261204000019_knowledge.js';
import * as observability from '../../migrations/20261204000020_observability.js';
import { withConnection } from './pg-connection.js';

/**
 * Every migration, in order. Listed explicitly (not globbed from the directory) so the same
 * code runs under tsx, vitest and any bundler without a TypeScript-aware file loader.
 * Add a new migration file to migrations/ AND to this list; a test checks they agree.
 */
export const migrations: readonly NamedMigration[] = [
  { name: '20261127000001_engine', module: engine },
  { name: '20261127000002_accounts', module: accounts },
  { name: '20261127000003_webhooks', module: webhooks },
  { name: '20261127000004_credentials', module: credentials },
  { name: '20261127000005_events', module: events },
  { name: '20261127000006_billing', module: billing },
  { name: '20261127000007_stripe', module: stripe },
  { name: '20261127000008_waits', module: waits },
  { name: '20261127000009_mail_deliveries', module: mailDeliveries },
  { name: '20261204000010_hardening', module: hardening },
  { name: '20261204000011_hardening_api', module: hardeningApi },
  { name: '20261204000012_ai', module: ai },
  { name: '20261204000013_safety', module: safety },
  { name: '20261204000014_outbound', module: outbound },
  { name: '20261204000015_analytics', module: analytics },
  { name: '20261204000016_releases', module: releases },
  { name: '20261204000017_feedback', module: feedback },
  { name: '20261204000018_voice', module: voice },
  { name: '20261204000019_knowledge', module: knowledge },
  { name: '20261204000020_observability', module: observability },
];

export interface NamedMigration {
  name: string;
  module: Knex.Migration;
}

export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration.module,
};

/** Arbitrary, fixed: the advisory lock every Revflow process takes around migrations. */
const MIGRATION_LOCK_KEY = 727_001;

/**
 * Bring the schema up to date; returns the names of the migrations that ran.
 *
 * Several processes may start at once (API and workers in queue mode). Knex's own lock row
 * makes the losers fail, and stays set forever if a migrating process dies; a session-level
 * advisory lock instead makes them wait and is released by Postgres when a holder dies, so
 * under it a leftover Knex lock is known to be stale and is freed. Needs a pool of ≥ 2.
 */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  return withConnection(knex, async (lock) => {
    await lock.query({ text: 'SELECT pg_advisory_lock($1)', values: [MIGRATION_LOCK_KEY] });
    try {
      await knex.migrate.forceFreeMigrationsLock({ migrationSource });
      const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
      return applied;
    } finally {
      await lock.query({ text: 'SELECT pg_advisory_unlock($1)', values: [MIGRATION_LOCK_KEY] });
    }
  });
}
