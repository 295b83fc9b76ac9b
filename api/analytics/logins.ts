import type { Knex } from 'knex';
import type { Logger } from 'pino';

/**
 * The login route records each login here (one call); the activity detector turns the rows
 * into `session.login` events in every workspace of the person. Never fails a login: a lost
 * analytics row is logged, not shown to the person logging in.
 */
export async function recordLogin(knex: Knex, userId: string, logger?: Pick<Logger, 'warn'>): Promise<void> {
  try {
    await knex('analytics_logins').insert({ user_id: userId });
  } catch (error) {
    logger?.warn({ err: error, userId }, 'login not recorded for analytics');
  }
}
