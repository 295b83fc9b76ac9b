/** What the global setup hands to test files (vitest `provide` / `inject`). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a database on the test server that can run CREATE DATABASE (its admin database). */
    databaseAdminUrl: string;
    /** Migrated database that every test database is copied from. */
    databaseTemplate: string;
    /** Prefix of every database made in this test run (so teardown can drop leftovers). */
    databasePrefix: string;
  }
}

export const TEMPLATE_DATABASE = 'revflow_template';
