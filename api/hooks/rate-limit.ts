import type { Response } from 'express';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { tooManyRequests } from '../http/problem.js';

/** Default of REVFLOW_WEBHOOK_RATE_LIMIT: requests per second per webhook path. */
export const DEFAULT_WEBHOOK_RATE_LIMIT = 1_000;

/** Idle buckets are dropped once this many exist (a full bucket holds no information). */
const PRUNE_AT = 10_000;

const envSchema = z.object({
  REVFLOW_WEBHOOK_RATE_LIMIT: z.coerce
    .number()
    .positive()
    .max(10_000_000)
    .default(DEFAULT_WEBHOOK_RATE_LIMIT),
});

/** REVFLOW_WEBHOOK_RATE_LIMIT from the environment (requests per second per webhook path). */
export function webhookRateLimitFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const reason = parsed.error.issues[0]?.message ?? 'not a positive number';
    throw new ConfigError(`Bad configuration: REVFLOW_WEBHOOK_RATE_LIMIT: ${reason}`);
  }
  return parsed.data.REVFLOW_WEBHOOK_RATE_LIMIT;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * An in-memory token bucket per webhook (workspace + path): `perSecond` requests a second on
 * average, bursts of up to one second's worth. A request over the limit is refused before
 * anything is stored, with 429 and `Retry-After`; one flooded webhook does not slow the
 * others. Counters live in this process, like the auth rate limits (api/http/rate-limit.ts):
 * several API replicas would each allow the rate.
 *
 * The hot path costs one Map lookup and a few arithmetic operations.
 */
export class WebhookRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = Math.max(1, perSecond);
  }

  /** Take one token for `key`: 0 when allowed, else the seconds until a token is back. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_AT) this.prune(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /**
   * Refuse the request when the webhook is over its rate: sets `Retry-After` and throws the
   * 429 problem for the error handler.
   */
  guard(res: Response, workspaceId: string, path: string): void {
    const retryAfter = this.take(`${workspaceId}/${path}`);
    if (retryAfter === 0) return;
    res.set('Retry-After', String(retryAfter));
    throw tooManyRequests(
      `This webhook accepts at most ${this.perSecond} requests per second; retry after ${retryAfter} s`,
    );
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}
