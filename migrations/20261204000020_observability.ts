import type { Knex } from 'knex';

/**
 * Observability and retention (issue 19).
 * - `runs.executed_by`: the executor that last ran (part of) the run, `host:pid:tail`, set by the
 *   claim and by a run created already claimed; unlike `executor_id` it survives waits and the
 *   end of the run, so the run API can say which worker ran it. Nullable, no default: adding it
 *   rewrites nothing.
 * - `retention_marks`: how far the step-I/O pruning got per workspace, so each pass reads only
 *   runs it has not cleared yet (no index on the hot runs table for that).
 * - an index to prune mail deliveries by age within a workspace.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE runs ADD COLUMN executed_by text');
  await knex.schema.createTable('retention_marks', (t) => {
    t.uuid('workspace_id').notNullable().references('id').inTable('workspaces').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.timestamp('done_until', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'kind']);
  });
  await knex.raw('CREATE INDEX mail_deliveries_age_idx ON mail_deliveries (workspace_id, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS mail_deliveries_age_idx');
  await knex.schema.dropTableIfExists('retention_marks');
  await knex.raw('ALTER TABLE runs DROP COLUMN IF EXISTS executed_by');
}
