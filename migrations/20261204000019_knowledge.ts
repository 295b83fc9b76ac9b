import type { Knex } from 'knex';

/**
 * Knowledge Fusion (issue 14): documents (battle cards, playbooks, objection handlers, FAQs) built
 * from calls, emails, runs and pasted text. A document's sections live in one jsonb column (each
 * section knows its provider and whether a human edited it); every change writes a version row.
 * Search is Postgres full text over a generated, weighted tsvector with a GIN index.
 * Reads Voice's `calls` / `call_segments` (migration 18) but references them by value only,
 * so this migration does not depend on that one's order.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('knowledge_documents', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('kind').notNullable();
    // What generation finds the document by: 'objections', 'faq', 'playbook', 'competitor:<name>'; null for hand-made ones.
    t.text('topic_key');
    t.text('title').notNullable();
    t.text('competitor');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('sections').notNullable().defaultTo('[]');
    t.text('body_md').notNullable().defaultTo('');
    t.integer('version').notNullable().defaultTo(1);
    t.text('provider').notNullable().defaultTo('human');
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('updated_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'kind', 'updated_at']);
    // The library newest first, and the newest matches of a broad search (search.ts).
    t.index(['workspace_id', 'updated_at']);
  });
  // array_to_string is only STABLE (it formats any element type); for text[] it is immutable in fact.
  await knex.raw(`
    CREATE OR REPLACE FUNCTION knowledge_tags_text(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string($1, ' ') $$`);
  await knex.raw(`
    ALTER TABLE knowledge_documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(competitor, '')), 'A') ||
      setweight(to_tsvector('english', knowledge_tags_text(tags)), 'B') ||
      setweight(to_tsvector('english', left(body_md, 200000)), 'C')
    ) STORED`);
  await knex.raw('CREATE INDEX knowledge_documents_search_idx ON knowledge_documents USING GIN (search)');
  await knex.raw('CREATE INDEX knowledge_documents_tags_idx ON knowledge_documents USING GIN (tags)');
  await knex.raw(
    'CREATE UNIQUE INDEX knowledge_documents_topic_idx ON knowledge_documents (workspace_id, topic_key) WHERE topic_key IS NOT NULL',
  );
  await knex.raw(
    'CREATE INDEX knowledge_documents_competitor_idx ON knowledge_documents (workspace_id, lower(competitor))',
  );

  await knex.schema.createTable('knowledge_versions', (t) => {
    t.uuid('document_id').notNullable().references('id').inTable('knowledge_documents').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('title').notNullable();
    t.jsonb('sections').notNullable();
    t.text('body_md').notNullable();
    // created, generated, edited
    t.text('change').notNullable();
    t.text('provider').notNullable();
    t.uuid('author_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['document_id', 'version']);
  });

  await knex.schema.createTable('knowledge_sources', (t) => {
    t.uuid('document_id').notNullable().references('id').inTable('knowledge_documents').onDelete('CASCADE');
    // call, email, run, text
    t.text('source_type').notNullable();
    t.text('source_ref').notNullable();
    t.text('label').notNullable();
    t.text('excerpt').notNullable().defaultTo('');
    t.timestamp('added_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['document_id', 'source_type', 'source_ref']);
  });

  // Competitor names seen, by source: a detected (not listed) name becomes a battle card at its second source.
  await knex.schema.createTable('knowledge_mentions', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name_key').notNullable();
    t.text('name').notNullable();
    t.text('source_type').notNullable();
    t.text('source_ref').notNullable();
    // The quotes of that source (fuse.ts SectionItem[]), so a card made at the second source holds the first one too.
    t.jsonb('items').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'name_key', 'source_type', 'source_ref']);
  });

  await knex.schema.createTable('knowledge_views', (t) => {
    t.uuid('document_id').notNullable().references('id').inTable('knowledge_documents').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.integer('count').notNullable().defaultTo(1);
    t.timestamp('first_viewed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_viewed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['document_id', 'user_id']);
  });

  await knex.schema.createTable('knowledge_settings', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    t.jsonb('competitors').notNullable().defaultTo('[]');
    t.uuid('updated_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'knowledge_settings',
    'knowledge_views',
    'knowledge_mentions',
    'knowledge_sources',
    'knowledge_versions',
    'knowledge_documents',
  ])
    await knex.schema.dropTableIfExists(table);
  await knex.raw('DROP FUNCTION IF EXISTS knowledge_tags_text(text[])');
}
