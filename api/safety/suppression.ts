import type { Knex } from 'knex';

/**
 * The suppression list and consent records of a workspace. Other features (outbound sequences,
 * unsubscribe handlers) fill them through `suppress` / `recordConsent`; `safety.compliance` and
 * anyone else reads them through `suppressedAmong` / `consentedAmong`.
 */
const norm = (email: string): string => email.trim().toLowerCase();

export async function suppress(
  knex: Knex | Knex.Transaction,
  workspaceId: string,
  email: string,
  reason = 'unsubscribed',
): Promise<void> {
  await knex('safety_suppressions')
    .insert({ workspace_id: workspaceId, email: norm(email), reason })
    .onConflict(['workspace_id', 'email'])
    .merge({ reason });
}

export async function unsuppress(knex: Knex, workspaceId: string, email: string): Promise<boolean> {
  return (
    (await knex('safety_suppressions')
      .where({ workspace_id: workspaceId, email: norm(email) })
      .delete()) > 0
  );
}

export async function recordConsent(
  knex: Knex | Knex.Transaction,
  workspaceId: string,
  email: string,
  source: string,
): Promise<void> {
  await knex('safety_consents')
    .insert({ workspace_id: workspaceId, email: norm(email), source })
    .onConflict(['workspace_id', 'email'])
    .merge({ source, granted_at: knex.fn.now() });
}

async function among(
  knex: Knex,
  table: string,
  workspaceId: string,
  emails: readonly string[],
): Promise<Set<string>> {
  const wanted = [...new Set(emails.map(norm))].filter(Boolean);
  if (wanted.length === 0) return new Set();
  const rows = await knex(table)
    .where({ workspace_id: workspaceId })
    .whereIn('email', wanted)
    .select<Array<{ email: string }>>('email');
  return new Set(rows.map((r) => r.email));
}

export const suppressedAmong = (
  knex: Knex,
  workspaceId: string,
  emails: readonly string[],
): Promise<Set<string>> => among(knex, 'safety_suppressions', workspaceId, emails);
export const consentedAmong = (
  knex: Knex,
  workspaceId: string,
  emails: readonly string[],
): Promise<Set<string>> => among(knex, 'safety_consents', workspaceId, emails);
