import type { Knex } from 'knex';

/**
 * Billing (issue 6): one billing account per workspace (plan, status, seats, period, trial and
 * the Stripe ids the Stripe side writes), usage events (idempotent per workspace and key),
 * expansion opportunities, and an outbox of billing product events (trial ending, expansion)
 * that are emitted once as `events` rows so `trigger.event` workflows start on them.
 *
 * `workspaces.plan` stays as a mirror of `billing_accounts.plan_id` (older code and tools
 * read it): two triggers keep them equal, whichever side is written.
 */

const STATUSES = ['trialing', 'active', 'past_due', 'canceled', 'unpaid', 'incomplete', 'free'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('billing_accounts', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('plan_id').notNullable();
    t.text('status').notNullable();
    t.integer('seats').notNullable();
    t.timestamp('trial_ends_at', { useTz: true }).nullable();
    t.timestamp('current_period_start', { useTz: true }).notNullable();
    t.timestamp('current_period_end', { useTz: true }).notNullable();
    t.text('stripe_customer_id').nullable().unique();
    t.text('stripe_subscription_id').nullable().unique();
    t.timestamp('stripe_state_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    `ALTER TABLE billing_accounts ADD CONSTRAINT billing_accounts_status_check CHECK (status IN (${STATUSES.map((s) => `'${s}'`).join(', ')}))`,
  );
  await knex.raw(
    'ALTER TABLE billing_accounts ADD CONSTRAINT billing_accounts_seats_check CHECK (seats >= 1)',
  );
  await knex.raw(
    "CREATE INDEX billing_accounts_trial_idx ON billing_accounts (trial_ends_at) WHERE status = 'trialing'",
  );

  // Workspaces of older databases: on their plan, no trial (they never had one), a period from now.
  await knex.raw(`
    INSERT INTO billing_accounts (workspace_id, plan_id, status, seats, current_period_start, current_period_end)
    SELECT id,
           CASE WHEN plan IN ('free', 'starter', 'professional', 'enterprise') THEN plan ELSE 'free' END,
           CASE WHEN plan IN ('starter', 'professional', 'enterprise') THEN 'active' ELSE 'free' END,
           CASE plan WHEN 'starter' THEN 5 WHEN 'professional' THEN 20 WHEN 'enterprise' THEN 100 ELSE 3 END,
           date_trunc('day', now()), date_trunc('day', now()) + interval '1 month'
      FROM workspaces`);

  // workspaces.plan <-> billing_accounts.plan_id. IS DISTINCT FROM stops the ping-pong.
  await knex.raw(`
    CREATE FUNCTION revflow_billing_plan_from_workspace() RETURNS trigger AS $$
    BEGIN
      UPDATE billing_accounts
         SET plan_id = NEW.plan,
             status = CASE
               WHEN NEW.plan = 'free' AND status = 'active' THEN 'free'
               WHEN NEW.plan <> 'free' AND status = 'free' THEN 'active'
               ELSE status END,
             updated_at = now()
       WHERE workspace_id = NEW.id AND plan_id IS DISTINCT FROM NEW.plan;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER workspaces_plan_to_billing AFTER UPDATE OF plan ON workspaces
      FOR EACH ROW WHEN (OLD.plan IS DISTINCT FROM NEW.plan)
      EXECUTE FUNCTION revflow_billing_plan_from_workspace()`);
  await knex.raw(`
    CREATE FUNCTION revflow_workspace_plan_from_billing() RETURNS trigger AS $$
    BEGIN
      UPDATE workspaces SET plan = NEW.plan_id WHERE id = NEW.workspace_id AND plan IS DISTINCT FROM NEW.plan_id;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER billing_plan_to_workspaces AFTER INSERT OR UPDATE OF plan_id ON billing_accounts
      FOR EACH ROW EXECUTE FUNCTION revflow_workspace_plan_from_billing()`);

  await knex.schema.createTable('usage_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('meter').notNullable();
    t.bigInteger('quantity').notNullable();
    t.text('idempotency_key').notNullable();
    // What `unique` meters count distinct values of (a lead's email); null for the others.
    t.text('subject');
    // Who recorded it: 'email', 'node', 'api', ...
    t.text('source').notNullable().defaultTo('api');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'idempotency_key']);
  });
  await knex.raw('ALTER TABLE usage_events ADD CONSTRAINT usage_events_quantity_check CHECK (quantity >= 0)');
  await knex.raw('CREATE INDEX usage_events_meter_idx ON usage_events (workspace_id, meter, occurred_at)');

  await knex.schema.createTable('billing_expansions', (t) => {
    // Stable: `upgrade_tier:<workspace>:<meter>:<period start>`, ... — computed once.
    t.text('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('reason').notNullable();
    t.text('current_plan').notNullable();
    t.text('suggested_plan');
    t.bigInteger('current_value_cents').notNullable();
    t.bigInteger('potential_value_cents').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'created_at']);
  });
  await knex.raw(
    "ALTER TABLE billing_expansions ADD CONSTRAINT billing_expansions_kind_check CHECK (kind IN ('add_seats', 'upgrade_tier', 'add_feature'))",
  );

  await knex.schema.createTable('billing_outbox', (t) => {
    // The product event's id (events.event_id): a second emission of it starts nothing.
    t.text('event_id').notNullable();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('emitted_at', { useTz: true });
    t.primary(['workspace_id', 'event_id']);
  });
  await knex.raw(
    'CREATE INDEX billing_outbox_pending_idx ON billing_outbox (created_at) WHERE emitted_at IS NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('billing_outbox');
  await knex.schema.dropTableIfExists('billing_expansions');
  await knex.schema.dropTableIfExists('usage_events');
  await knex.raw('DROP TRIGGER IF EXISTS workspaces_plan_to_billing ON workspaces');
  await knex.schema.dropTableIfExists('billing_accounts');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_billing_plan_from_workspace()');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_workspace_plan_from_billing()');
}
