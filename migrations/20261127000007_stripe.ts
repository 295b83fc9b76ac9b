import type { Knex } from 'knex';

/**
 * The Stripe side of billing (issue 6).
 *
 * - `stripe_events`: every verified webhook event, stored before it is acknowledged and keyed
 *   by Stripe's event id, so a redelivery finds the first row and changes nothing. `applied_at`
 *   is set once the event was applied to `billing_accounts` and its workflows were started
 *   (`runs`); a delivery that stopped before that is finished by Stripe's retry.
 * - `stripe_meter_reports`: one row per usage event reported to Stripe Meter Events, keyed by
 *   the identifier derived from the usage idempotency key (Stripe dedups on it as well). A row
 *   is claimed (`claimed_until`) while a reporter sends it; `reported_at` set means never again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stripe_events', (t) => {
    t.text('event_id').primary();
    t.text('type').notNullable();
    // Resolved from the customer (or metadata); null when the event is about no workspace of ours.
    t.uuid('workspace_id').nullable().references('id').inTable('workspaces').onDelete('SET NULL');
    t.boolean('livemode').notNullable().defaultTo(false);
    // The event's own `created` (Stripe's clock): out-of-order deliveries are ordered by it.
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('applied_at', { useTz: true });
    // What applying it did: 'applied', 'stale' (an older state than the account's), 'ignored', ...
    t.text('outcome');
    t.text('error');
    // [{ id, workflowId, nodeId }]: the runs it started.
    t.jsonb('runs');
  });
  await knex.raw(
    'CREATE INDEX stripe_events_workspace_idx ON stripe_events (workspace_id, received_at DESC) WHERE workspace_id IS NOT NULL',
  );

  await knex.schema.createTable('stripe_meter_reports', (t) => {
    // `rfu_<sha256(workspace, usage idempotency key)>`: the Meter Event identifier.
    t.text('identifier').primary();
    t.uuid('usage_event_id')
      .notNullable()
      .unique()
      .references('id')
      .inTable('usage_events')
      .onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('claimed_until', { useTz: true });
    t.timestamp('reported_at', { useTz: true });
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    'CREATE INDEX stripe_meter_reports_pending_idx ON stripe_meter_reports (next_attempt_at) WHERE reported_at IS NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('stripe_meter_reports');
  await knex.schema.dropTableIfExists('stripe_events');
}
