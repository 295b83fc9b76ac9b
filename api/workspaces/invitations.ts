import type { Knex } from 'knex';
import type { Actor } from '../auth/principal.js';
import { randomToken, sha256 } from '../auth/tokens.js';
import { uuidv7 } from '../db/ids.js';
import type { Role } from '../http/route.js';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InvitationRow {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by_user_id: string | null;
  invited_by_api_key_id: string | null;
  created_at: Date;
  expires_at: Date;
  sent_at: Date;
  send_count: number;
  accepted_at: Date | null;
  accepted_by_user_id: string | null;
  revoked_at: Date | null;
}

/** A row with who invited, as people should read it. */
export type InvitationWithInviter = InvitationRow & { inviter_name: string | null };

/** Accepted and revoked are final; expiry only matters while neither happened. */
export function invitationStatus(row: InvitationRow, now: Date = new Date()): InvitationStatus {
  if (row.accepted_at) return 'accepted';
  if (row.revoked_at) return 'revoked';
  if (row.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}

/** Invitations joined with whoever invited (a person, or an API key by its name). */
function withInviter(knex: Knex): Knex.QueryBuilder {
  return knex('invitations as i')
    .leftJoin('users as u', 'u.id', 'i.invited_by_user_id')
    .leftJoin('api_keys as k', 'k.id', 'i.invited_by_api_key_id');
}

const inviterColumns = (knex: Knex): Array<string | Knex.Raw> => [
  'i.*',
  knex.raw(`coalesce(u.name, 'API key ' || k.name) as inviter_name`),
];

export async function createInvitation(
  trx: Knex.Transaction,
  input: { workspaceId: string; email: string; role: Role; invitedBy: Actor },
): Promise<{ row: InvitationRow; token: string }> {
  const token = randomToken();
  const [row] = await trx<InvitationRow>('invitations')
    .insert({
      id: uuidv7(),
      workspace_id: input.workspaceId,
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      invited_by_user_id: input.invitedBy.userId,
      invited_by_api_key_id: input.invitedBy.apiKeyId,
      expires_at: new Date(Date.now() + INVITATION_TTL_MS),
    })
    .returning('*');
  if (!row) throw new Error('insert into invitations returned nothing');
  return { row, token };
}

/** A new token and a fresh 7-day expiry; the old link stops working. */
export async function renewInvitation(
  trx: Knex.Transaction,
  id: string,
): Promise<{ row: InvitationRow; token: string }> {
  const token = randomToken();
  const [row] = await trx<InvitationRow>('invitations')
    .where({ id })
    .update({
      token_hash: sha256(token),
      expires_at: new Date(Date.now() + INVITATION_TTL_MS),
      sent_at: trx.fn.now(),
      send_count: trx.raw('send_count + 1'),
    })
    .returning('*');
  if (!row) throw new Error(`invitation ${id} vanished`);
  return { row, token };
}

export async function listInvitations(knex: Knex, workspaceId: string): Promise<InvitationWithInviter[]> {
  return withInviter(knex)
    .where('i.workspace_id', workspaceId)
    .orderBy('i.id', 'desc')
    .select<InvitationWithInviter[]>(inviterColumns(knex));
}

export async function findInvitation(
  knex: Knex,
  workspaceId: string,
  id: string,
): Promise<InvitationWithInviter | undefined> {
  return withInviter(knex)
    .where({ 'i.workspace_id': workspaceId, 'i.id': id })
    .first<InvitationWithInviter | undefined>(inviterColumns(knex));
}

export async function findInvitationByToken(
  knex: Knex,
  token: string,
): Promise<InvitationWithInviter | undefined> {
  return withInviter(knex)
    .where('i.token_hash', sha256(token))
    .first<InvitationWithInviter | undefined>(inviterColumns(knex));
}

/** Lock one invitation row (by id) for the rest of the transaction, re-reading it. */
export async function lockInvitation(trx: Knex.Transaction, id: string): Promise<InvitationRow> {
  const row = await trx<InvitationRow>('invitations').where({ id }).forUpdate().first();
  if (!row) throw new Error(`invitation ${id} vanished`);
  return row;
}

/** The invitation for this email that still holds a seat, if any. */
export async function findPendingFor(
  knex: Knex,
  workspaceId: string,
  email: string,
): Promise<InvitationRow | undefined> {
  return knex<InvitationRow>('invitations')
    .where({ workspace_id: workspaceId, email })
    .whereNull('accepted_at')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', knex.fn.now())
    .first();
}

export async function markRevoked(knex: Knex, id: string): Promise<void> {
  await knex('invitations').where({ id }).whereNull('revoked_at').update({ revoked_at: knex.fn.now() });
}

export async function markAccepted(knex: Knex, id: string, userId: string): Promise<void> {
  await knex('invitations').where({ id }).update({ accepted_at: knex.fn.now(), accepted_by_user_id: userId });
}
