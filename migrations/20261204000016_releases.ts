import type { Knex } from 'knex';

/**
 * The release center (issue 16): release notes written by instance admins, instance-wide (no
 * workspace_id: the notes describe Revflow itself), and who has read which note.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('release_notes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('title').notNullable();
    // Markdown as written; the sanitised HTML is rendered from it when read (api/releases/markdown.ts).
    t.text('body').notNullable();
    t.text('category').notNullable();
    t.text('version');
    t.boolean('featured').notNullable().defaultTo(false);
    // draft → scheduled → published; a scheduled note is published by the sweeper at scheduled_at.
    t.text('status').notNullable().defaultTo('draft');
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('published_at', { useTz: true });
    // Empty arrays mean everyone; a note with an empty audience is public (the RSS/Atom feed).
    t.specificType('audience_plans', 'text[]').notNullable().defaultTo('{}');
    t.specificType('audience_roles', 'text[]').notNullable().defaultTo('{}');
    t.uuid('author_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['status', 'published_at']);
    t.index(['status', 'scheduled_at']);
  });
  await knex.schema.createTable('release_reads', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('note_id').notNullable().references('id').inTable('release_notes').onDelete('CASCADE');
    t.timestamp('read_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'note_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('release_reads');
  await knex.schema.dropTableIfExists('release_notes');
}
