import type { RetryPolicy } from './document.js';

/** Delay before attempt `attempt + 1`: exponential (or fixed) with ±25 % jitter, capped. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base =
    policy.backoff === 'exponential'
      ? policy.initialDelayMs * 2 ** Math.max(0, attempt - 1)
      : policy.initialDelayMs;
  const jittered = base * (0.75 + random() * 0.5);
  return Math.round(Math.min(policy.maxDelayMs, jittered));
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
