import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { tooManyRequests } from './problem.js';

export interface RateLimitOptions {
  windowMs: number;
  limit: number;
  /** What is being limited, for the message: "login attempts for this email". */
  what: string;
  /** Key of the bucket; default: the client IP (IPv6 grouped by /56). Return null to skip. */
  key?: (req: Request) => string | null;
  /** Count only failed requests (status ≥ 400), e.g. wrong passwords. */
  failuresOnly?: boolean;
}

/**
 * express-rate-limit answering like every other error: problem+json 429 (through the problem
 * handler) with `Retry-After`. Counters live in this process's memory, which is right for the
 * one API process DESIGN §2 runs; several API replicas would each count on their own.
 */
export function problemRateLimit(options: RateLimitOptions): RequestHandler {
  const minutes = Math.max(1, Math.round(options.windowMs / 60_000));
  const keyOf = options.key;
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    ...(keyOf
      ? { keyGenerator: (req: Request) => keyOf(req) ?? '', skip: (req: Request) => keyOf(req) === null }
      : {}),
    handler: (_req, _res, next) => {
      next(
        tooManyRequests(
          `Too many ${options.what}; try again in up to ${minutes} minute${minutes === 1 ? '' : 's'}`,
        ),
      );
    },
  });
}
