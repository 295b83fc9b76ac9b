import type { Knex } from 'knex';

/**
 * Webhook ingress: which active workflow answers a path of a workspace, with its signing
 * secret sealed under the deployment key; and the Idempotency-Key window of webhook requests.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhooks', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('workflow_id').notNullable().references('id').inTable('workflows').onDelete('CASCADE');
    t.uuid('version_id').notNullable();
    t.text('node_id').notNullable();
    t.text('path').notNullable();
    t.text('method').notNullable();
    t.text('response_mode').notNullable();
    t.integer('response_timeout_ms').notNullable().defaultTo(30_000);
    t.boolean('signed').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'path']);
  });
  // One signing secret per workflow trigger node; kept across activations and versions.
  await knex.schema.createTable('webhook_secrets', (t) => {
    t.uuid('workflow_id').notNullable().references('id').inTable('workflows').onDelete('CASCADE');
    t.text('node_id').notNullable();
    t.uuid('workspace_id').notNullable();
    t.text('sealed_secret').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workflow_id', 'node_id']);
  });
  await knex.schema.createTable('webhook_idempotency', (t) => {
    t.uuid('workspace_id').notNullable();
    t.uuid('workflow_id').notNullable();
    t.text('key').notNullable();
    t.uuid('run_id').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['workspace_id', 'workflow_id', 'key']);
  });
  await knex.raw('CREATE INDEX webhook_idempotency_expiry_idx ON webhook_idempotency (expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_idempotency');
  await knex.schema.dropTable('webhook_secrets');
  await knex.schema.dropTable('webhooks');
}
