import type { Knex } from 'knex';

/**
 * What tables and columns exist right now. Other features (leads, campaigns, integrations) land
 * their migrations on their own schedule, so the detector asks before it reads, and reads
 * nothing from a table that is not there yet.
 */
export class SchemaProbe {
  private columns: Map<string, Set<string>> | undefined;

  constructor(private readonly knex: Knex) {}

  private async load(): Promise<Map<string, Set<string>>> {
    if (this.columns) return this.columns;
    const rows = await this.knex('information_schema.columns')
      .where({ table_schema: this.knex.raw('current_schema()') })
      .select<Array<{ table_name: string; column_name: string }>>('table_name', 'column_name');
    const map = new Map<string, Set<string>>();
    for (const row of rows) {
      const set = map.get(row.table_name) ?? new Set<string>();
      set.add(row.column_name);
      map.set(row.table_name, set);
    }
    this.columns = map;
    return map;
  }

  async hasTable(table: string): Promise<boolean> {
    return (await this.load()).has(table);
  }

  /** The first of `tables` that exists. */
  async firstTable(tables: readonly string[]): Promise<string | undefined> {
    const map = await this.load();
    return tables.find((table) => map.has(table));
  }

  /** The first of `columns` the table has. */
  async firstColumn(table: string, columns: readonly string[]): Promise<string | undefined> {
    const set = (await this.load()).get(table);
    return set ? columns.find((column) => set.has(column)) : undefined;
  }
}

/** Quote an identifier we chose from information_schema (never user input). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
