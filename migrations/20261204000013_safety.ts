import type { Knex } from 'knex';

/**
 * AI Safety (issue 12):
 * - safety_policies: the guardrails each outbound kind requires, one row per workspace;
 * - safety_decisions: the safety log — every guardrail verdict, entity types and counts, never raw text;
 * - safety_suppressions / safety_consents: who must not be emailed, and who agreed to be;
 * - audit_log gets a per-workspace hash chain (seq, prev_hash, hash) and an immutable actor_ref
 *   (the actor FKs are nulled when a user or key is deleted; the hash covers actor_ref instead).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('safety_policies', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    t.jsonb('policy').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.uuid('updated_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('safety_decisions', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('run_id');
    t.uuid('workflow_id');
    t.text('node_id').notNullable();
    t.text('check').notNullable();
    t.text('verdict').notNullable();
    t.text('reason').notNullable();
    t.jsonb('entities').notNullable().defaultTo('{}');
    t.integer('redactions').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX safety_decisions_workspace_idx ON safety_decisions (workspace_id, id DESC)');
  await knex.raw(
    'CREATE INDEX safety_decisions_verdict_idx ON safety_decisions (workspace_id, verdict, id DESC)',
  );
  await knex.raw('CREATE INDEX safety_decisions_run_idx ON safety_decisions (workspace_id, run_id)');
  await knex.schema.createTable('safety_suppressions', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('reason').notNullable().defaultTo('unsubscribed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'email']);
  });
  await knex.schema.createTable('safety_consents', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('source').notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'email']);
  });
  await knex.schema.alterTable('audit_log', (t) => {
    t.bigInteger('seq');
    t.text('prev_hash');
    t.text('hash');
    t.text('actor_ref');
  });
  await knex.raw(
    'CREATE UNIQUE INDEX audit_log_chain_idx ON audit_log (workspace_id, seq) WHERE seq IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS audit_log_chain_idx');
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropColumn('seq');
    t.dropColumn('prev_hash');
    t.dropColumn('hash');
    t.dropColumn('actor_ref');
  });
  await knex.schema.dropTable('safety_consents');
  await knex.schema.dropTable('safety_suppressions');
  await knex.schema.dropTable('safety_decisions');
  await knex.schema.dropTable('safety_policies');
}
