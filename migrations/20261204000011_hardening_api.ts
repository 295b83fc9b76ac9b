import type { Knex } from 'knex';

/**
 * Hardening of the API surfaces (issue 11), shared by every API process:
 * - webhook_signatures: signed webhook requests seen within the tolerance window (replays refused);
 * - credentials.allowed_hosts: the hosts a credential may be sent to (null: not bound yet);
 * - login_failures: wrong passwords per email and per address, for the growing delay.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_signatures', (t) => {
    t.uuid('workflow_id').notNullable();
    t.text('signature').notNullable();
    t.text('idempotency_key');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['workflow_id', 'signature']);
  });
  await knex.raw('CREATE INDEX webhook_signatures_expiry_idx ON webhook_signatures (expires_at)');
  await knex.schema.alterTable('credentials', (t) => {
    t.jsonb('allowed_hosts');
  });
  await knex.schema.createTable('login_failures', (t) => {
    t.text('key').primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('last_failure_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_failures');
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('allowed_hosts');
  });
  await knex.schema.dropTable('webhook_signatures');
}
