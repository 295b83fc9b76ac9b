import type { Knex } from 'knex';

/**
 * Sandbox hardening (issue 11): `runs.takeovers` counts how often a run was taken from an
 * executor that died while running it. The claim that takes a run over increments it, so the
 * hot path writes nothing more; a taken-over run commits each step as started before it runs,
 * and a step found running after a second death is failed instead of run a third time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (t) => {
    t.integer('takeovers').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (t) => {
    t.dropColumn('takeovers');
  });
}
