import type { Knex } from 'knex';

/**
 * Instance admins (DESIGN §9) run the whole instance: release notes, NPS and feedback results,
 * growth analytics over every workspace. They are named by email in REVFLOW_ADMIN_EMAILS
 * (comma-separated, case-insensitive); nothing in the database can make someone one.
 */
export function instanceAdminEmails(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  return new Set(
    (env.REVFLOW_ADMIN_EMAILS ?? '')
      .split(',')
      .map((email) => email.trim().toLowerCase())
      .filter((email) => email.length > 0),
  );
}

/** True when the user's email is listed in REVFLOW_ADMIN_EMAILS (read on each call: tests set it). */
export async function isInstanceAdminUser(knex: Knex, userId: string | null): Promise<boolean> {
  if (!userId) return false;
  const admins = instanceAdminEmails();
  if (admins.size === 0) return false;
  const row = await knex('users').where({ id: userId }).first<{ email: string } | undefined>('email');
  return row !== undefined && admins.has(row.email.toLowerCase());
}
