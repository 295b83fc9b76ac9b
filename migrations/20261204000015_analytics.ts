import type { Knex } from 'knex';
import { ALL_NAMES, KIND_SQL, LEAD_SQL, REP_SQL, VALUED_NAMES, VALUE_SQL } from '../api/salesboard/vocabulary.js';

/**
 * Growth analytics and the AI Salesboard (issue 15).
 *
 * - `events.actor_id`: who an event is about (`data.userId`, else `data.subject`), a stored
 *   generated column so the analytics indexes can answer from the index alone.
 * - Indexes for the analytics queries: per workspace by name and time, and instance-wide by
 *   name and time (instance admins read every workspace).
 * - Platform events carry the time of the fact they report in `data.occurredAt` (the outbox
 *   has no column for it): a trigger copies it to `occurred_at`. Only reserved names (activation,
 *   session, analytics, outbound, voice), which the
 *   public events API refuses, so no member can backdate an event this way.
 * - `analytics_plan_history`: every plan, status or seat change of a billing account (a
 *   trigger writes it), so MRR movements can be computed from billing history.
 * - `analytics_milestones`: what the activation detector found (once per workspace, and per
 *   user for personal milestones); `analytics_detector_state`: its watermarks;
 *   `analytics_logins`: logins, which the detector turns into `session.login` events.
 * - `analytics_churn`: the last churn-risk score per workspace and how often it crossed the
 *   threshold (one `analytics.churn_risk_high` per crossing).
 * - `analytics_first_seen`: a rollup, per workspace, event name and person, of the first time
 *   (a statement-level trigger keeps it; backfilled here), so funnels, cohorts and the
 *   lifecycle's "new" need not read every event a workspace ever sent.
 * - `salesboard_activity`: the AI Salesboard's events (api/salesboard/vocabulary.ts) already
 *   parsed into kind, rep, lead and value by a trigger, so a board over 100k events reads a
 *   narrow index instead of parsing every event's JSON (it lives here: the Salesboard has no
 *   migration of its own and reads the analytics events).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE events ADD COLUMN actor_id text
      GENERATED ALWAYS AS (COALESCE(data->>'userId', data->>'subject')) STORED`);
  await knex.raw(
    'CREATE INDEX events_analytics_ws_idx ON events (workspace_id, name, occurred_at) INCLUDE (actor_id)',
  );
  await knex.raw(
    'CREATE INDEX events_analytics_name_idx ON events (name, occurred_at) INCLUDE (workspace_id, actor_id)',
  );

  await knex.raw(`
    CREATE FUNCTION revflow_platform_event_time() RETURNS trigger AS $$
    DECLARE
      claimed text := NEW.data->>'occurredAt';
    BEGIN
      IF claimed IS NOT NULL
         AND NEW.name ~ '^(activation|session|analytics|outbound|voice)\\.'
         AND claimed ~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+){0,1}(Z|[+-]\\d{2}:\\d{2})$' THEN
        BEGIN
          NEW.occurred_at := claimed::timestamptz;
        EXCEPTION WHEN others THEN
          -- A malformed time keeps the receive time rather than losing the event.
          NULL;
        END;
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER events_platform_time BEFORE INSERT ON events
      FOR EACH ROW WHEN ((NEW.data->>'occurredAt') IS NOT NULL) EXECUTE FUNCTION revflow_platform_event_time()`);

  await knex.schema.createTable('analytics_plan_history', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('plan_id').notNullable();
    t.text('status').notNullable();
    t.integer('seats').notNullable();
    t.index(['workspace_id', 'at']);
  });
  await knex.raw(`
    CREATE FUNCTION revflow_plan_history() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR OLD.plan_id IS DISTINCT FROM NEW.plan_id OR OLD.status IS DISTINCT FROM NEW.status
         OR OLD.seats IS DISTINCT FROM NEW.seats THEN
        INSERT INTO analytics_plan_history (workspace_id, at, plan_id, status, seats)
        VALUES (NEW.workspace_id, CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE now() END,
                NEW.plan_id, NEW.status, NEW.seats);
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER billing_accounts_history AFTER INSERT OR UPDATE ON billing_accounts
      FOR EACH ROW EXECUTE FUNCTION revflow_plan_history()`);
  // Accounts made before this migration: their state now, from when the account was made.
  await knex.raw(`
    INSERT INTO analytics_plan_history (workspace_id, at, plan_id, status, seats)
    SELECT workspace_id, created_at, plan_id, status, seats FROM billing_accounts`);

  await knex.schema.createTable('analytics_milestones', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('milestone').notNullable();
    // '' for workspace milestones, the user id for personal ones.
    t.text('user_key').notNullable().defaultTo('');
    t.uuid('user_id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('detected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'milestone', 'user_key']);
  });

  await knex.schema.createTable('analytics_detector_state', (t) => {
    t.text('key').primary();
    t.timestamp('watermark', { useTz: true }).notNullable();
  });

  // Logins as the login route records them (instance-wide: a person, not a workspace); the
  // detector turns them into `session.login` events in each of the person's workspaces.
  await knex.schema.createTable('analytics_logins', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['at']);
  });

  await knex.schema.createTable('analytics_churn', (t) => {
    t.uuid('workspace_id').primary().references('id').inTable('workspaces').onDelete('CASCADE');
    t.integer('score').notNullable();
    t.jsonb('reasons').notNullable().defaultTo('[]');
    t.boolean('high').notNullable().defaultTo(false);
    t.integer('crossings').notNullable().defaultTo(0);
    t.timestamp('computed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('analytics_first_seen', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name').notNullable();
    // events.actor_id, '' for an event about nobody.
    t.text('subject').notNullable();
    t.timestamp('first_at', { useTz: true }).notNullable();
    t.primary(['workspace_id', 'name', 'subject']);
  });
  // Statement-level with a transition table: one set-based upsert per INSERT, however many rows.
  // Keys in order, so two concurrent inserts lock rollup rows in the same order.
  await knex.raw(`
    CREATE FUNCTION revflow_first_seen() RETURNS trigger AS $$
    BEGIN
      INSERT INTO analytics_first_seen (workspace_id, name, subject, first_at)
      SELECT workspace_id, name, COALESCE(actor_id, ''), min(occurred_at) FROM new_events
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (workspace_id, name, subject) DO UPDATE SET first_at = EXCLUDED.first_at
       WHERE analytics_first_seen.first_at > EXCLUDED.first_at;
      RETURN NULL;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER events_first_seen AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
      FOR EACH STATEMENT EXECUTE FUNCTION revflow_first_seen()`);
  await knex.raw(`
    INSERT INTO analytics_first_seen (workspace_id, name, subject, first_at)
    SELECT workspace_id, name, COALESCE(actor_id, ''), min(occurred_at) FROM events GROUP BY 1, 2, 3`);

  await knex.schema.createTable('salesboard_activity', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('kind').notNullable();
    t.text('rep');
    t.text('lead').notNullable();
    // data.leadId when it is an Outbound lead's uuid: its owner is the rep when no rep is named.
    t.uuid('lead_id');
    t.bigInteger('value').notNullable().defaultTo(0);
  });
  await knex.raw(
    'CREATE INDEX salesboard_activity_idx ON salesboard_activity (workspace_id, occurred_at) INCLUDE (kind, rep, lead, lead_id, value)',
  );
  const parsed = `SELECT e.workspace_id, e.occurred_at, ${KIND_SQL}, ${REP_SQL}, ${LEAD_SQL},
      CASE WHEN e.data->>'leadId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (e.data->>'leadId')::uuid END,
      CASE WHEN e.name IN (${VALUED_NAMES.map((name) => `'${name}'`).join(', ')}) THEN ${VALUE_SQL} ELSE 0 END`;
  const names = `e.name IN (${ALL_NAMES.map((name) => `'${name}'`).join(', ')})`;
  await knex.raw(`
    CREATE FUNCTION revflow_salesboard_activity() RETURNS trigger AS $$
    BEGIN
      INSERT INTO salesboard_activity (workspace_id, occurred_at, kind, rep, lead, lead_id, value)
      ${parsed} FROM new_events e WHERE ${names};
      RETURN NULL;
    END $$ LANGUAGE plpgsql`);
  await knex.raw(`
    CREATE TRIGGER events_salesboard_activity AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
      FOR EACH STATEMENT EXECUTE FUNCTION revflow_salesboard_activity()`);
  await knex.raw(`INSERT INTO salesboard_activity (workspace_id, occurred_at, kind, rep, lead, lead_id, value)
    ${parsed} FROM events e WHERE ${names}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS events_salesboard_activity ON events');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_salesboard_activity()');
  await knex.schema.dropTableIfExists('salesboard_activity');
  await knex.raw('DROP TRIGGER IF EXISTS events_first_seen ON events');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_first_seen()');
  await knex.schema.dropTableIfExists('analytics_first_seen');
  await knex.schema.dropTableIfExists('analytics_churn');
  await knex.schema.dropTableIfExists('analytics_logins');
  await knex.schema.dropTableIfExists('analytics_detector_state');
  await knex.schema.dropTableIfExists('analytics_milestones');
  await knex.raw('DROP TRIGGER IF EXISTS billing_accounts_history ON billing_accounts');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_plan_history()');
  await knex.schema.dropTableIfExists('analytics_plan_history');
  await knex.raw('DROP TRIGGER IF EXISTS events_platform_time ON events');
  await knex.raw('DROP FUNCTION IF EXISTS revflow_platform_event_time()');
  await knex.raw('DROP INDEX IF EXISTS events_analytics_name_idx');
  await knex.raw('DROP INDEX IF EXISTS events_analytics_ws_idx');
  await knex.raw('ALTER TABLE events DROP COLUMN IF EXISTS actor_id');
}
