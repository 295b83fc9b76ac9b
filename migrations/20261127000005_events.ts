import type { Knex } from 'knex';

/**
 * Product events posted to the events API (`trigger.event`). The sender's id is unique per
 * workspace, so a repeated post finds the first row; `runs` records what the event started
 * (null until its runs were started: a crash in between is finished by the retry).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('event_id').notNullable();
    t.text('name').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // [{ runId, workflowId, nodeId }]
    t.jsonb('runs');
    t.unique(['workspace_id', 'event_id']);
  });
  await knex.raw(
    'CREATE INDEX events_workspace_received_idx ON events (workspace_id, received_at DESC, id DESC)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('events');
}
