import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobLimits } from './limits.js';

/**
 * Per-workflow limits that hold across every worker, in Redis.
 *
 * - Concurrency: a sorted set of leases per workflow, scored by expiry. A worker holds a lease
 *   while its run executes and renews it; a killed worker's lease expires by itself.
 * - Rate: a sliding-window log per workflow: the start times of the last `perMs` ms.
 *
 * One Lua script checks both and takes both, atomically, on Redis's clock (workers' clocks
 * may disagree). A start refused by the rate limit takes no lease; a start refused by the
 * concurrency limit uses up no rate slot.
 */
const ACQUIRE = `
local leases, starts = KEYS[1], KEYS[2]
local limit, ttl, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local max, perMs, countStart = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  if redis.call('ZCARD', leases) >= limit then return -1 end
end
if max > 0 and countStart then
  redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - perMs)
  if redis.call('ZCARD', starts) >= max then
    local oldest = redis.call('ZRANGE', starts, 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + perMs - now)
  end
  redis.call('ZADD', starts, now, member)
  redis.call('PEXPIRE', starts, perMs)
end
if limit > 0 then
  redis.call('ZADD', leases, now + ttl, member)
  redis.call('PEXPIRE', leases, ttl)
end
return 0`;

// Renewal re-adds a lease that expired meanwhile (a long pause): the run still executes.
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export interface Lease {
  /** Give the lease back (the run ended or suspended). */
  release(): Promise<void>;
}

export type Admission = { ok: true; lease: Lease } | { ok: false; retryInMs: number };

export interface RedisLimiterOptions {
  redis: Redis;
  /** Keys start with it: deployments (and tests) sharing a Redis stay apart. */
  namespace: string;
  /** How long a lease lives without renewal: a killed worker's slot frees after this. */
  leaseMs: number;
  /** Wait before trying again when the concurrency limit is reached (jittered). Default 250 ms. */
  busyRetryMs?: number;
  onError?: (error: unknown) => void;
}

export class RedisLimiter {
  private readonly busyRetryMs: number;

  constructor(private readonly options: RedisLimiterOptions) {
    this.busyRetryMs = options.busyRetryMs ?? 250;
  }

  /** Take a slot for a run of the workflow, or say how long to wait before asking again. */
  async acquire(job: JobLimits, runId: string, countsAsStart: boolean): Promise<Admission> {
    const { concurrency, rateLimit } = job.limits;
    const keys = this.keys(job.key);
    const member = `${runId}/${randomUUID()}`;
    const verdict = Number(
      await this.options.redis.eval(
        ACQUIRE,
        2,
        keys.leases,
        keys.starts,
        concurrency ?? 0,
        this.options.leaseMs,
        member,
        rateLimit?.max ?? 0,
        rateLimit?.perMs ?? 0,
        countsAsStart ? '1' : '0',
      ),
    );
    if (verdict === 0) return { ok: true, lease: this.lease(keys.leases, member, concurrency !== undefined) };
    // At the concurrency limit nobody knows when a run ends: retry soon, jittered so the
    // waiting jobs of a workflow do not all come back at once.
    const retryInMs = verdict < 0 ? Math.round(this.busyRetryMs * (0.5 + Math.random())) : verdict;
    return { ok: false, retryInMs };
  }

  private lease(key: string, member: string, held: boolean): Lease {
    if (!held) return { release: () => Promise.resolve() };
    const redis = this.options.redis;
    const ttl = this.options.leaseMs;
    const renewal = setInterval(
      () => {
        redis.eval(RENEW, 1, key, member, ttl).catch((error: unknown) => this.options.onError?.(error));
      },
      Math.max(100, Math.floor(ttl / 3)),
    );
    renewal.unref();
    let released: Promise<void> | undefined;
    return {
      release: () =>
        (released ??= (async () => {
          clearInterval(renewal);
          await redis.zrem(key, member);
        })()),
    };
  }

  // One hash tag per workflow: both keys of a script live in one Redis Cluster slot.
  private keys(workflowKey: string): { leases: string; starts: string } {
    const base = `${this.options.namespace}:limits:{${workflowKey}}`;
    return { leases: `${base}:leases`, starts: `${base}:starts` };
  }
}
