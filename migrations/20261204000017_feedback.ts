import type { Knex } from 'knex';

/**
 * The feedback loop (issue 16): the instance-wide board (posts, votes, comments, statuses), the
 * in-app notifications when a post ships, and the NPS survey (displays and responses). The board
 * is Revflow's own: users of every workspace give feedback to the instance; rows keep the
 * workspace they came from (events, mail delivery log, NPS by workspace).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feedback_statuses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // One of the fixed kinds (open, planned, in_progress, shipped, declined); `name` is the custom label.
    t.text('kind').notNullable();
    t.text('name').notNullable().unique();
    t.integer('position').notNullable().defaultTo(0);
    t.boolean('builtin').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex('feedback_statuses').insert(
    [
      ['open', 'Open'],
      ['planned', 'Planned'],
      ['in_progress', 'In progress'],
      ['shipped', 'Shipped'],
      ['declined', 'Declined'],
    ].map(([kind, name], position) => ({ kind, name, position: position * 10, builtin: true })),
  );
  await knex.schema.createTable('feedback_posts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.text('page');
    t.uuid('author_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('workspace_id').references('id').inTable('workspaces').onDelete('SET NULL');
    t.uuid('status_id').notNullable().references('id').inTable('feedback_statuses');
    t.uuid('merged_into_id').references('id').inTable('feedback_posts').onDelete('SET NULL');
    t.uuid('release_note_id').references('id').inTable('release_notes').onDelete('SET NULL');
    t.timestamp('shipped_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['kind', 'created_at']);
    t.index(['author_user_id']);
    t.index(['release_note_id']);
  });
  await knex.schema.createTable('feedback_votes', (t) => {
    t.uuid('post_id').notNullable().references('id').inTable('feedback_posts').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    // The workspace the vote was cast from: where the voter's mail is logged.
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One vote per user and post: the database refuses a second one, even under races.
    t.primary(['post_id', 'user_id']);
    t.index(['user_id']);
  });
  await knex.schema.createTable('feedback_comments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('post_id').notNullable().references('id').inTable('feedback_posts').onDelete('CASCADE');
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.boolean('by_admin').notNullable().defaultTo(false);
    t.text('body').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['post_id', 'created_at']);
  });
  await knex.schema.createTable('feedback_notifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('post_id').notNullable().references('id').inTable('feedback_posts').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.uuid('release_note_id').references('id').inTable('release_notes').onDelete('SET NULL');
    t.timestamp('read_at', { useTz: true });
    // Null until the email reached the SMTP server; the sweeper retries the others.
    t.timestamp('emailed_at', { useTz: true });
    t.integer('email_attempts').notNullable().defaultTo(0);
    t.text('email_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Told once per post and person, whatever the status does afterwards.
    t.unique(['post_id', 'user_id', 'kind']);
    t.index(['user_id', 'read_at']);
    t.index(['emailed_at']);
  });
  await knex.schema.createTable('survey_displays', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('survey').notNullable();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    // 'shown' → 'responded' | 'dismissed'.
    t.text('outcome').notNullable().defaultTo('shown');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('closed_at', { useTz: true });
    t.index(['user_id', 'created_at']);
  });
  await knex.schema.createTable('nps_responses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // One answer per display: a retried submit finds the first and emits nothing new.
    t.uuid('display_id')
      .notNullable()
      .unique()
      .references('id')
      .inTable('survey_displays')
      .onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('plan').notNullable();
    t.integer('score').notNullable();
    t.text('category').notNullable();
    t.text('comment');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['user_id', 'created_at']);
    t.index(['workspace_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'nps_responses',
    'survey_displays',
    'feedback_notifications',
    'feedback_comments',
    'feedback_votes',
    'feedback_posts',
    'feedback_statuses',
  ])
    await knex.schema.dropTableIfExists(table);
}
