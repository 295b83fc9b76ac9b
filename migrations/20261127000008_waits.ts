import type { Knex } from 'knex';

/**
 * Waits that end by a signal (DESIGN §5 "Waits hold nothing"): events, approvals, child runs.
 *
 * - `run_waits`: one row per suspended step waiting for a signal, findable by
 *   (workspace, kind, key). Its `state` goes `open` → `signalled` | `timed_out` | `closed`
 *   exactly once, by a conditional UPDATE: two racing signals, or a signal and the wait's
 *   timer, cannot both win. `payload` is what the winning signal carried.
 * - `runs.parent_run_id` / `parent_node_id`: a run started by `flow.subWorkflow` (or
 *   `logic.forEach`) records the run and node that started it; its end signals the parent.
 * - `approvals`: what `flow.approval` asks people, and who decided what and when.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('run_waits', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable();
    t.uuid('run_id').notNullable();
    t.text('node_id').notNullable();
    t.text('kind').notNullable();
    t.text('key').notNullable();
    // What a signal must match beyond kind and key (e.g. a correlation value); read by the host.
    t.jsonb('match');
    t.text('state').notNullable().defaultTo('open');
    t.jsonb('payload');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('resolved_at', { useTz: true });
  });
  await knex.raw(
    "ALTER TABLE run_waits ADD CONSTRAINT run_waits_state_check CHECK (state IN ('open', 'signalled', 'timed_out', 'closed'))",
  );
  // Signals look up open waits only: the index stays as small as the set of waiting steps.
  await knex.raw(
    "CREATE INDEX run_waits_open_idx ON run_waits (workspace_id, kind, key) WHERE state = 'open'",
  );
  await knex.raw('CREATE INDEX run_waits_run_idx ON run_waits (run_id)');

  // Null for almost every run: the partial index costs nothing on the hot insert path.
  await knex.raw('ALTER TABLE runs ADD COLUMN parent_run_id uuid, ADD COLUMN parent_node_id text');
  await knex.raw('CREATE INDEX runs_parent_idx ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL');

  await knex.schema.createTable('approvals', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.uuid('run_id').notNullable();
    t.uuid('workflow_id').notNullable();
    t.text('node_id').notNullable();
    t.text('title').notNullable();
    t.text('description').notNullable().defaultTo('');
    // Emails of the people who may decide; empty: any member of the workspace.
    t.specificType('approvers', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('data');
    t.text('status').notNullable().defaultTo('pending');
    t.uuid('decided_by');
    t.text('decided_by_email');
    t.uuid('decided_by_api_key');
    t.timestamp('decided_at', { useTz: true });
    t.text('comment');
    t.timestamp('expires_at', { useTz: true });
    t.integer('reminders_sent').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['run_id', 'node_id']);
  });
  await knex.raw(
    "ALTER TABLE approvals ADD CONSTRAINT approvals_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'timed_out', 'cancelled'))",
  );
  await knex.raw(
    'CREATE INDEX approvals_workspace_idx ON approvals (workspace_id, status, created_at DESC, id DESC)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('approvals');
  await knex.raw('DROP INDEX IF EXISTS runs_parent_idx');
  await knex.raw(
    'ALTER TABLE runs DROP COLUMN IF EXISTS parent_run_id, DROP COLUMN IF EXISTS parent_node_id',
  );
  await knex.schema.dropTableIfExists('run_waits');
}
