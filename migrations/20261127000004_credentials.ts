import type { Knex } from 'knex';

/**
 * Credentials of a workspace (API keys, basic auth, bearer tokens, SMTP settings), sealed
 * under the deployment key with the workspace and credential id as associated data, and the
 * hosts a workspace lets its outbound HTTP reach past the SSRF guard. Also Revflow's own tasks
 * and tickets, which the tasks.create / tickets.create nodes write (and Voice-to-Action, NPS).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credentials', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('type').notNullable();
    // Only ever the SecretBox form `v1.<iv>.<tag>.<ciphertext>`: never the plain data.
    t.text('sealed_data').notNullable();
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'name']);
  });
  await knex.raw(
    `ALTER TABLE credentials ADD CONSTRAINT credentials_type_check CHECK (type IN ('apiKey', 'basicAuth', 'bearer', 'smtp', 'header'))`,
  );
  await knex.schema.createTable('workspace_outbound_hosts', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    // ["api.example.com", "10.1.2.3:8443"]: hosts (any port) or host:port pairs.
    t.jsonb('hosts').notNullable().defaultTo('[]');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  for (const table of ['tasks', 'tickets'] as const) {
    await knex.schema.createTable(table, (t) => {
      t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
      t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
      t.text('title').notNullable();
      t.text('description').notNullable().defaultTo('');
      t.text('status').notNullable().defaultTo('open');
      t.text('priority').notNullable().defaultTo('normal');
      t.text('assignee').nullable();
      if (table === 'tasks') t.timestamp('due_at', { useTz: true }).nullable();
      if (table === 'tickets') t.text('requester').nullable();
      t.jsonb('data').notNullable().defaultTo('{}');
      // The step that created it (`runId:nodeId`): a re-run after a crash finds the row, adds none.
      t.text('source_key').nullable();
      t.uuid('run_id').nullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['workspace_id', 'source_key']);
      t.index(['workspace_id', 'status', 'created_at']);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('tickets');
  await knex.schema.dropTableIfExists('tasks');
  await knex.schema.dropTableIfExists('workspace_outbound_hosts');
  await knex.schema.dropTableIfExists('credentials');
}
