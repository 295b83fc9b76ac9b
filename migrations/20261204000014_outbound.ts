import type { Knex } from 'knex';

/**
 * Adaptive Outbound (issue 13): leads, the suppression list, campaigns (one per workflow),
 * enrolments, sends (one per Message-ID), the lead timeline, the variant bandit's counts and
 * the lead-score model. Every row belongs to a workspace.
 */
export async function up(knex: Knex): Promise<void> {
  const workspace = (t: Knex.CreateTableBuilder) =>
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');

  await knex.schema.createTable('outbound_leads', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    workspace(t);
    t.text('email').notNullable();
    t.text('name');
    t.text('company');
    t.text('title');
    t.text('domain');
    t.text('timezone');
    t.text('country');
    t.text('source');
    t.jsonb('attributes').notNullable().defaultTo('{}');
    t.uuid('owner_id').references('id').inTable('users').onDelete('SET NULL');
    t.text('status').notNullable().defaultTo('new');
    t.integer('score');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'email']);
  });
  await knex.raw(
    'CREATE INDEX outbound_leads_list_idx ON outbound_leads (workspace_id, created_at DESC, id)',
  );
  await knex.raw('CREATE INDEX outbound_leads_status_idx ON outbound_leads (workspace_id, status)');

  await knex.schema.createTable('outbound_suppressions', (t) => {
    workspace(t);
    t.text('email').notNullable();
    t.text('reason').notNullable();
    t.text('note');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'email']);
  });

  await knex.schema.createTable('outbound_settings', (t) => {
    workspace(t).primary();
    // Sealed with the deployment key: signs the inbound webhook and the unsubscribe links.
    t.text('secret_sealed').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('outbound_campaigns', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    workspace(t);
    t.uuid('workflow_id').notNullable().references('id').inTable('workflows').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('draft');
    t.timestamp('activated_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workflow_id']);
  });
  await knex.raw('CREATE INDEX outbound_campaigns_ws_idx ON outbound_campaigns (workspace_id, status)');

  await knex.schema.createTable('outbound_enrollments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    workspace(t);
    t.uuid('campaign_id').notNullable().references('id').inTable('outbound_campaigns').onDelete('CASCADE');
    t.uuid('lead_id').notNullable().references('id').inTable('outbound_leads').onDelete('CASCADE');
    t.uuid('run_id');
    t.text('segment');
    t.text('status').notNullable().defaultTo('active');
    t.text('stop_reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('stopped_at', { useTz: true });
    t.unique(['campaign_id', 'lead_id']);
  });
  await knex.raw(
    'CREATE INDEX outbound_enrollments_lead_idx ON outbound_enrollments (workspace_id, lead_id)',
  );

  await knex.schema.createTable('outbound_sends', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    workspace(t);
    t.uuid('campaign_id').notNullable().references('id').inTable('outbound_campaigns').onDelete('CASCADE');
    t.uuid('lead_id').notNullable().references('id').inTable('outbound_leads').onDelete('CASCADE');
    t.uuid('enrollment_id').references('id').inTable('outbound_enrollments').onDelete('CASCADE');
    t.text('step').notNullable();
    t.text('picker');
    t.text('variant');
    t.text('segment');
    t.text('message_id').notNullable();
    t.text('subject').notNullable();
    t.text('status').notNullable().defaultTo('sent');
    t.text('reply_class');
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('replied_at', { useTz: true });
    t.boolean('rewarded').notNullable().defaultTo(false);
    t.unique(['workspace_id', 'message_id']);
    // A lead is sent each step of a campaign once, however often the step runs.
    t.unique(['enrollment_id', 'step']);
  });
  await knex.raw('CREATE INDEX outbound_sends_campaign_idx ON outbound_sends (campaign_id, step)');
  await knex.raw('CREATE INDEX outbound_sends_lead_idx ON outbound_sends (workspace_id, lead_id)');

  await knex.schema.createTable('outbound_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    workspace(t);
    t.uuid('lead_id').references('id').inTable('outbound_leads').onDelete('CASCADE');
    t.uuid('send_id').references('id').inTable('outbound_sends').onDelete('SET NULL');
    t.uuid('campaign_id').references('id').inTable('outbound_campaigns').onDelete('SET NULL');
    // sent, replied, bounced, unsubscribed, complained, meeting, scored, status
    t.text('kind').notNullable();
    t.text('classification');
    t.text('dedup_key').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'dedup_key']);
  });
  await knex.raw(
    'CREATE INDEX outbound_events_lead_idx ON outbound_events (workspace_id, lead_id, occurred_at)',
  );

  // Beta–Bernoulli counts per (campaign, picker step, segment, variant): updated with increments.
  await knex.schema.createTable('outbound_variant_stats', (t) => {
    workspace(t);
    t.uuid('campaign_id').notNullable().references('id').inTable('outbound_campaigns').onDelete('CASCADE');
    t.text('picker').notNullable();
    t.text('segment').notNullable().defaultTo('');
    t.text('variant').notNullable();
    t.integer('sends').notNullable().defaultTo(0);
    t.integer('rewards').notNullable().defaultTo(0);
    t.integer('replies').notNullable().defaultTo(0);
    t.primary(['campaign_id', 'picker', 'segment', 'variant']);
  });

  await knex.schema.createTable('outbound_score_models', (t) => {
    workspace(t).primary();
    t.jsonb('weights').notNullable().defaultTo('{}');
    t.integer('examples').notNullable().defaultTo(0);
    t.integer('positives').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'outbound_score_models',
    'outbound_variant_stats',
    'outbound_events',
    'outbound_sends',
    'outbound_enrollments',
    'outbound_campaigns',
    'outbound_settings',
    'outbound_suppressions',
    'outbound_leads',
  ])
    await knex.schema.dropTableIfExists(table);
}
