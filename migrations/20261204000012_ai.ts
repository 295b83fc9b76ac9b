import type { Knex } from 'knex';

const BEFORE = `('apiKey', 'basicAuth', 'bearer', 'smtp', 'header')`;
const AFTER = `('apiKey', 'basicAuth', 'bearer', 'smtp', 'header', 'openaiCompatible')`;

/**
 * The AI layer (issue 12):
 * - ai_settings: a workspace's default provider, model and endpoint credential (no row: the
 *   deployment default, LLM_BASE_URL or the local provider);
 * - ai_calls: one row per metered AI call (its usage_events key) with the tokens and latency,
 *   since the plan catalogue meters generations and the tokens are kept here;
 * - the `openaiCompatible` credential type (base URL, API key, model).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE credentials DROP CONSTRAINT credentials_type_check');
  await knex.raw(`ALTER TABLE credentials ADD CONSTRAINT credentials_type_check CHECK (type IN ${AFTER})`);
  await knex.schema.createTable('ai_settings', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('provider').notNullable();
    t.text('model').nullable();
    t.uuid('credential_id').nullable().references('id').inTable('credentials').onDelete('SET NULL');
    t.uuid('updated_by').nullable().references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    `ALTER TABLE ai_settings ADD CONSTRAINT ai_settings_provider_check CHECK (provider IN ('local', 'openai-compatible'))`,
  );
  await knex.schema.createTable('ai_calls', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    // The usage_events key of the generation: a retried step updates its row, adds none.
    t.text('idempotency_key').notNullable();
    t.text('operation').notNullable();
    t.text('provider').notNullable();
    t.text('model').notNullable();
    t.integer('input_tokens').notNullable();
    t.integer('output_tokens').notNullable();
    t.integer('latency_ms').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'idempotency_key']);
    t.index(['workspace_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ai_calls');
  await knex.schema.dropTableIfExists('ai_settings');
  await knex('credentials').where({ type: 'openaiCompatible' }).delete();
  await knex.raw('ALTER TABLE credentials DROP CONSTRAINT credentials_type_check');
  await knex.raw(`ALTER TABLE credentials ADD CONSTRAINT credentials_type_check CHECK (type IN ${BEFORE})`);
}
