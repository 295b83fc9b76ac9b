import type { Knex } from 'knex';
import { uuidv7 } from '../db/ids.js';
import type { ClientInfo } from '../http/client-info.js';
import { randomToken, sha256 } from './tokens.js';

export interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  last_seen_at: Date;
}

/** Writing `last_seen_at` on every request would turn every read into a write. */
const TOUCH_EVERY_MS = 60_000;

export interface NewSession {
  id: string;
  /** Goes into the cookie; only its hash is stored. */
  token: string;
  expiresAt: Date;
}

export async function createSession(
  knex: Knex,
  userId: string,
  ttlMs: number,
  client: ClientInfo,
): Promise<NewSession> {
  const token = randomToken();
  const id = uuidv7();
  const expiresAt = new Date(Date.now() + ttlMs);
  // Housekeeping where it is cheap: a login clears the person's own expired sessions.
  await knex('sessions').where({ user_id: userId }).andWhere('expires_at', '<=', knex.fn.now()).delete();
  await knex('sessions').insert({
    id,
    user_id: userId,
    token_hash: sha256(token),
    expires_at: expiresAt,
    ip: client.ip,
    user_agent: client.userAgent,
  });
  return { id, token, expiresAt };
}

/** The live session for a cookie token, or undefined (unknown or expired). */
export async function findSession(knex: Knex, token: string): Promise<SessionRow | undefined> {
  const row = await knex<SessionRow>('sessions')
    .where({ token_hash: sha256(token) })
    .andWhere('expires_at', '>', knex.fn.now())
    .first();
  if (row && Date.now() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await knex('sessions').where({ id: row.id }).update({ last_seen_at: knex.fn.now() });
  }
  return row;
}

export async function deleteSession(knex: Knex, id: string): Promise<void> {
  await knex('sessions').where({ id }).delete();
}
