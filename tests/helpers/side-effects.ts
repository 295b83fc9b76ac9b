import type { Knex } from 'knex';

/** A real side effect: one row per execution, under the step's idempotency key. */
export async function createSideEffectsTable(knex: Knex): Promise<void> {
  await knex.schema.createTable('test_side_effects', (table) => {
    table.bigIncrements('id');
    table.text('key').notNullable();
    table.text('node_id').notNullable();
    table.integer('pid').notNullable();
  });
}

export function sideEffectRecorder(knex: Knex): { record(key: string, nodeId: string): Promise<void> } {
  return {
    async record(key, nodeId) {
      await knex('test_side_effects').insert({ key, node_id: nodeId, pid: process.pid });
    },
  };
}

export async function sideEffectCounts(knex: Knex): Promise<Map<string, number>> {
  const rows = await knex('test_side_effects')
    .select('key')
    .count<{ key: string; count: string }[]>('* as count')
    .groupBy('key');
  return new Map(rows.map((row) => [row.key, Number(row.count)]));
}
