import type { Knex } from 'knex';
import { uuidv7 } from '../db/ids.js';
import type { Role } from '../http/route.js';
import type { Actor } from './principal.js';
import { looksLikeApiKey, newApiKey, sha256 } from './tokens.js';

export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  role: Role;
  prefix: string;
  token_hash: string;
  created_by_user_id: string | null;
  created_by_api_key_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** `last_used_at` is a hint, not a log: written at most once a minute per key. */
const TOUCH_EVERY_MS = 60_000;

export async function createApiKey(
  knex: Knex,
  input: { workspaceId: string; name: string; role: Role; createdBy: Actor },
): Promise<{ row: ApiKeyRow; key: string }> {
  const { key, prefix, hash } = newApiKey();
  const [row] = await knex<ApiKeyRow>('api_keys')
    .insert({
      id: uuidv7(),
      workspace_id: input.workspaceId,
      name: input.name,
      role: input.role,
      prefix,
      token_hash: hash,
      created_by_user_id: input.createdBy.userId,
      created_by_api_key_id: input.createdBy.apiKeyId,
    })
    .returning('*');
  if (!row) throw new Error('insert into api_keys returned nothing');
  return { row, key };
}

export async function listApiKeys(
  knex: Knex,
  workspaceId: string,
  includeRevoked: boolean,
): Promise<ApiKeyRow[]> {
  const query = knex<ApiKeyRow>('api_keys').where({ workspace_id: workspaceId }).orderBy('id', 'desc');
  if (!includeRevoked) query.whereNull('revoked_at');
  return query;
}

/** The live key for a presented secret (never revoked), its last use noted cheaply. */
export async function findActiveApiKey(knex: Knex, key: string): Promise<ApiKeyRow | undefined> {
  if (!looksLikeApiKey(key)) return undefined;
  const row = await knex<ApiKeyRow>('api_keys')
    .where({ token_hash: sha256(key) })
    .whereNull('revoked_at')
    .first();
  if (row && (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS)) {
    await knex('api_keys').where({ id: row.id }).update({ last_used_at: knex.fn.now() });
  }
  return row;
}

/** Revoke a key of this workspace; undefined when the workspace has no such key. */
export async function revokeApiKey(
  knex: Knex,
  workspaceId: string,
  id: string,
): Promise<ApiKeyRow | undefined> {
  const [row] = await knex<ApiKeyRow>('api_keys')
    .where({ workspace_id: workspaceId, id })
    .update({ revoked_at: knex.raw('coalesce(revoked_at, now())') })
    .returning('*');
  return row;
}
