import { z } from 'zod';

/**
 * Database settings from the environment, in the config style of api/config.ts (which validates
 * them at start with the rest; DATABASE_URL and REVFLOW_DATA_DIR are there too).
 */
const blankIsUnset = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const positiveInt = z.preprocess(
  blankIsUnset,
  z.coerce
    .number({ error: 'a positive integer' })
    .int('a positive integer')
    .positive('a positive integer')
    .optional(),
);

export const databaseEnvShape = {
  /** Connections in the pool (default 8). */
  REVFLOW_DB_POOL_MAX: positiveInt,
  /** Port of the embedded PostgreSQL (default 54329; a free one when taken). */
  REVFLOW_PG_PORT: positiveInt,
};

const schema = z.object({
  ...databaseEnvShape,
  DATABASE_URL: z.preprocess(blankIsUnset, z.string().optional()),
  REVFLOW_DATA_DIR: z.preprocess(blankIsUnset, z.string().optional()),
});
export type DatabaseSettings = z.infer<typeof schema>;

export function databaseSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): DatabaseSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'database setting');
    throw new Error(`${name} must be ${issue?.message}, got "${String(env[name])}"`);
  }
  return parsed.data;
}
