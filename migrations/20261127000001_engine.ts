import type { Knex } from 'knex';

/**
 * The engine spine: workspaces, workflows and their immutable versions, runs, steps and
 * executor liveness. Ids are uuid v7 made by the application (api/db/ids.ts), so they sort
 * by creation time; the column defaults only cover rows written by hand.
 */

const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const STEP_STATUSES = ['running', 'succeeded', 'failed', 'skipped', 'waiting', 'cancelled'];

function oneOf(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map((v) => `'${v}'`).join(', ')})`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workspaces', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('slug').notNullable().unique();
    t.text('plan').notNullable().defaultTo('free');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('workflows', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.jsonb('draft').notNullable();
    t.timestamp('draft_updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.boolean('active').notNullable().defaultTo(false);
    // Foreign keys to workflow_versions are added below, once that table exists.
    t.uuid('active_version_id');
    t.uuid('published_version_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw(
    'CREATE INDEX workflows_workspace_idx ON workflows (workspace_id, created_at DESC) WHERE deleted_at IS NULL',
  );

  await knex.schema.createTable('workflow_versions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workflow_id').notNullable().references('id').inTable('workflows').onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.integer('number').notNullable();
    t.jsonb('document').notNullable();
    t.text('note');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // The users table arrives with the API; its migration adds the foreign key.
    t.uuid('created_by');
    t.unique(['workflow_id', 'number']);
  });
  await knex.schema.alterTable('workflows', (t) => {
    t.foreign('active_version_id').references('id').inTable('workflow_versions').onDelete('SET NULL');
    t.foreign('published_version_id').references('id').inTable('workflow_versions').onDelete('SET NULL');
  });

  // A published version is frozen: every run records the version it ran (DESIGN §3), so what
  // a version says must never change under it. Only the note may be edited.
  await knex.raw(`
    CREATE FUNCTION workflow_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.document IS DISTINCT FROM OLD.document
        OR NEW.number IS DISTINCT FROM OLD.number
        OR NEW.workflow_id IS DISTINCT FROM OLD.workflow_id
        OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
        RAISE EXCEPTION 'workflow version % is immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER workflow_versions_immutable BEFORE UPDATE ON workflow_versions
      FOR EACH ROW EXECUTE FUNCTION workflow_versions_immutable();
  `);

  // Runs: the fields of RunRecord (engine/store.ts). No foreign keys, on purpose: runs and
  // steps are the hot, high-volume tables (DESIGN §5: thousands of runs/s on 2 cores), where a
  // key check costs on every insert and an ON DELETE action would need yet another index on
  // every write. The engine loads a run's version before creating it; deleting a workflow
  // (or its workspace) deletes its runs, and deleting runs deletes their steps, by triggers.
  await knex.schema.createTable('runs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable();
    t.uuid('workflow_id').notNullable();
    t.uuid('version_id').notNullable();
    t.text('status').notNullable().defaultTo('queued');
    t.text('trigger_node_id').notNullable();
    t.jsonb('input');
    t.jsonb('error');
    t.jsonb('output');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('deadline_at', { useTz: true });
    t.timestamp('wake_at', { useTz: true });
    t.text('executor_id');
    t.boolean('cancel_requested').notNullable().defaultTo(false);
    // The run this one retries; it may since have been deleted (retention).
    t.uuid('retry_of');
  });
  await knex.raw(
    `ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (${oneOf('status', RUN_STATUSES)})`,
  );
  // Every run is updated a few times right after its insert: vacuum the dead versions early so
  // the indexes (and recovery's scans of them) stay small.
  await knex.raw(
    'ALTER TABLE runs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05)',
  );
  await knex.raw('CREATE INDEX runs_workspace_idx ON runs (workspace_id, created_at DESC, id DESC)');
  await knex.raw('CREATE INDEX runs_workflow_idx ON runs (workflow_id, created_at DESC, id DESC)');
  await knex.raw(
    'CREATE INDEX runs_workspace_status_idx ON runs (workspace_id, status, created_at DESC, id DESC)',
  );
  // Small by construction: only unfinished runs; recovery reads each status oldest first.
  await knex.raw(
    `CREATE INDEX runs_recoverable_idx ON runs (status, created_at, id) WHERE ${oneOf('status', ['running', 'waiting', 'queued'])}`,
  );
  // Waiting runs can pile up (long delays, approvals): recovery reads only the due ones. A wait
  // is due at its wake time, or at the run's deadline (to time it out); LEAST skips nulls.
  await knex.raw(
    "CREATE INDEX runs_waiting_due_idx ON runs (LEAST(wake_at, deadline_at)) WHERE status = 'waiting'",
  );

  // No foreign key to runs (see runs): its check would cost ~6 µs of Postgres CPU for every
  // step written. Steps are written only by PgRunStore, for runs it just created or holds.
  await knex.schema.createTable('steps', (t) => {
    t.uuid('run_id').notNullable();
    t.text('node_id').notNullable();
    t.text('status').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.jsonb('input');
    t.jsonb('output');
    t.specificType('ports', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('error');
    t.jsonb('logs').notNullable().defaultTo('[]');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.jsonb('wait');
    t.integer('interruptions').notNullable().defaultTo(0);
    t.primary(['run_id', 'node_id']);
  });
  await knex.raw(
    `ALTER TABLE steps ADD CONSTRAINT steps_status_check CHECK (${oneOf('status', STEP_STATUSES)})`,
  );
  // ON DELETE CASCADE without foreign keys: once per DELETE statement, nothing on insert.
  // Each uses an index the tables have anyway (steps_pkey, runs_workflow_idx).
  await knex.raw(`
    CREATE FUNCTION runs_delete_steps() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM steps WHERE run_id IN (SELECT id FROM deleted_runs);
      RETURN NULL;
    END $$;
    CREATE TRIGGER runs_delete_steps AFTER DELETE ON runs
      REFERENCING OLD TABLE AS deleted_runs FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_steps();
    CREATE FUNCTION workflows_delete_runs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM runs WHERE workflow_id IN (SELECT id FROM deleted_workflows);
      RETURN NULL;
    END $$;
    CREATE TRIGGER workflows_delete_runs AFTER DELETE ON workflows
      REFERENCING OLD TABLE AS deleted_workflows FOR EACH STATEMENT EXECUTE FUNCTION workflows_delete_runs();
  `);

  await knex.schema.createTable('executors', (t) => {
    t.text('id').primary();
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('host');
    t.integer('pid');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('executors');
  await knex.raw('DROP TRIGGER workflows_delete_runs ON workflows');
  await knex.raw('DROP FUNCTION workflows_delete_runs()');
  await knex.schema.dropTable('steps');
  await knex.schema.dropTable('runs');
  await knex.raw('DROP FUNCTION runs_delete_steps()');
  await knex.schema.alterTable('workflows', (t) => {
    t.dropForeign('active_version_id');
    t.dropForeign('published_version_id');
  });
  await knex.schema.dropTable('workflow_versions');
  await knex.raw('DROP FUNCTION workflow_versions_immutable()');
  await knex.schema.dropTable('workflows');
  await knex.schema.dropTable('workspaces');
}
