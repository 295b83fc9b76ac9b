import type { Knex } from 'knex';
import type { RateLimitSettings } from '../http/settings.js';

/**
 * Wrong passwords slow the guesser down instead of locking the owner out (issue 11). Failures
 * are counted in Postgres (every API process sees them) under two keys:
 *
 * - the email from one client address (`pair:`): after `loginFailuresPerEmail` free failures,
 *   each further attempt from that address waits `loginDelayMs`, doubling per failure, up to
 *   the rate-limit window — the guesser's own address;
 * - the email from anywhere (`account:`): the same doubling, capped at 32 × `loginDelayMs`
 *   (32 s by default), so guessers spread over many addresses get a few tries a minute, while
 *   the real owner, elsewhere, waits seconds at most — never a 15-minute lockout.
 *
 * An attempt inside a delay is answered 429 with Retry-After before the password is checked
 * (the right password does not skip the queue) and is not counted. A success clears both keys.
 * Unknown emails are counted the same way, so the answers say nothing about which exist.
 */
const ACCOUNT_CAP_STEPS = 5;
/** Idle keys are swept on every this-many-th failure. */
const SWEEP_EVERY = 200;

interface FailureRow {
  key: string;
  failures: number;
  last_failure_at: Date;
}

export class LoginThrottle {
  private failures = 0;

  constructor(
    private readonly knex: Knex,
    private readonly limits: RateLimitSettings,
  ) {}

  private keys(email: string, ip: string): { pair: string; account: string } {
    return { pair: `pair:${email}|${ip}`, account: `account:${email}` };
  }

  /** How long `row`'s key must still wait, in ms (0: go ahead). */
  private waitMs(row: FailureRow | undefined, capMs: number, now: number): number {
    if (!row) return 0;
    const since = now - new Date(row.last_failure_at).getTime();
    if (since > this.limits.windowMs) return 0;
    const over = row.failures - this.limits.loginFailuresPerEmail;
    if (over < 0) return 0;
    const delay = Math.min(capMs, this.limits.loginDelayMs * 2 ** Math.min(over, 30));
    return Math.max(0, delay - since);
  }

  /** Seconds this email (from this address) must still wait before a password is checked; 0: go. */
  async waitSeconds(email: string, ip: string): Promise<number> {
    const { pair, account } = this.keys(email, ip);
    const rows = await this.knex<FailureRow>('login_failures').whereIn('key', [pair, account]);
    const now = Date.now();
    const pairRow = rows.find((row) => row.key === pair);
    const accountRow = rows.find((row) => row.key === account);
    const wait = Math.max(
      this.waitMs(pairRow, this.limits.windowMs, now),
      this.waitMs(accountRow, this.limits.loginDelayMs * 2 ** ACCOUNT_CAP_STEPS, now),
    );
    return wait <= 0 ? 0 : Math.max(1, Math.ceil(wait / 1000));
  }

  /** Count a wrong password; a key idle for a whole window starts again from one. */
  async failed(email: string, ip: string): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    const windowSeconds = this.limits.windowMs / 1000;
    this.failures += 1;
    if (this.failures % SWEEP_EVERY === 0) {
      await this.knex('login_failures')
        .whereRaw(`last_failure_at < now() - (? * interval '1 second')`, [windowSeconds])
        .delete();
    }
    for (const key of [pair, account]) {
      await this.knex.raw(
        `INSERT INTO login_failures (key, failures, last_failure_at) VALUES (?, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_failures.last_failure_at < now() - (? * interval '1 second')
                           THEN 1 ELSE login_failures.failures + 1 END,
           last_failure_at = now()`,
        [key, windowSeconds],
      );
    }
  }

  async succeeded(email: string, ip: string): Promise<void> {
    const { pair, account } = this.keys(email, ip);
    await this.knex('login_failures').whereIn('key', [pair, account]).delete();
  }
}
