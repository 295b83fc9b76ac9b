import type { Knex } from 'knex';

/**
 * Voice-to-Action (issue 14): calls with their transcript segments (the contract Knowledge reads,
 * /work notes calls-contract), and what extraction found in them — action items, decisions and
 * follow-up questions — with their review state and the task each accepted item became.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('calls', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('title').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_seconds').notNullable().defaultTo(0);
    // [{ name, email?, userId?, leadId?, speaker? }]
    t.jsonb('participants').notNullable().defaultTo('[]');
    t.uuid('lead_id').references('id').inTable('outbound_leads').onDelete('SET NULL');
    t.text('source_format').notNullable();
    t.text('status').notNullable();
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX calls_workspace_started_idx ON calls (workspace_id, started_at DESC)');
  await knex.raw(
    "ALTER TABLE calls ADD CONSTRAINT calls_source_format_check CHECK (source_format IN ('vtt','srt','lines','json','audio'))",
  );
  await knex.raw(
    "ALTER TABLE calls ADD CONSTRAINT calls_status_check CHECK (status IN ('transcribed','extracted','reviewed'))",
  );

  await knex.schema.createTable('call_segments', (t) => {
    t.uuid('call_id').notNullable().references('id').inTable('calls').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.text('speaker').notNullable().defaultTo('');
    t.integer('start_ms').notNullable();
    t.integer('end_ms');
    t.text('text').notNullable();
    t.primary(['call_id', 'position']);
  });

  await knex.schema.createTable('call_items', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('call_id').notNullable().references('id').inTable('calls').onDelete('CASCADE');
    t.integer('position').notNullable();
    // action | decision | question
    t.text('kind').notNullable();
    t.text('text').notNullable();
    // The owner as extraction (or a reviewer) resolved it; all null = unassigned, with a reason.
    t.text('owner_name');
    t.text('owner_email');
    t.uuid('owner_user_id');
    t.uuid('owner_lead_id');
    t.text('owner_reason');
    t.timestamp('due_at', { useTz: true });
    t.text('due_text');
    t.text('priority').notNullable().defaultTo('normal');
    t.text('quote').notNullable().defaultTo('');
    t.text('speaker').notNullable().defaultTo('');
    t.integer('start_ms').notNullable().defaultTo(0);
    t.text('provider').notNullable();
    // proposed → accepted | dropped; accepted → created (its task exists)
    t.text('status').notNullable().defaultTo('proposed');
    t.boolean('edited').notNullable().defaultTo(false);
    t.uuid('task_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['call_id', 'position']);
  });
  await knex.raw('CREATE INDEX call_items_workspace_call_idx ON call_items (workspace_id, call_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('call_items');
  await knex.schema.dropTableIfExists('call_segments');
  await knex.schema.dropTableIfExists('calls');
}
