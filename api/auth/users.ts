import type { Knex } from 'knex';
import { uuidv7 } from '../db/ids.js';
import { conflict } from '../http/problem.js';
import type { UserView } from './schemas.js';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Date;
}

const UNIQUE_VIOLATION = '23505';

export function userView(row: Pick<UserRow, 'id' | 'email' | 'name' | 'created_at'>): UserView {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at.toISOString() };
}

export async function findUserByEmail(knex: Knex, email: string): Promise<UserRow | undefined> {
  return knex<UserRow>('users').where({ email }).first();
}

export async function findUserById(knex: Knex, id: string): Promise<UserRow | undefined> {
  return knex<UserRow>('users').where({ id }).first();
}

/** A new user; an email already taken is a 409 (emails arrive normalised). */
export async function insertUser(
  knex: Knex,
  user: { email: string; name: string; passwordHash: string },
): Promise<UserRow> {
  try {
    const [row] = await knex<UserRow>('users')
      .insert({ id: uuidv7(), email: user.email, name: user.name, password_hash: user.passwordHash })
      .returning('*');
    if (!row) throw new Error('insert into users returned nothing');
    return row;
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      throw conflict('An account with this email already exists; log in instead', { field: 'email' });
    }
    throw error;
  }
}
