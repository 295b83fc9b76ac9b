import { randomInt } from 'node:crypto';
import { v7, validate } from 'uuid';

/**
 * UUID version 7 (RFC 9562) from the `uuid` package: 48-bit Unix milliseconds, then a counter
 * and randomness, so ids made in this process are strictly increasing — they sort by creation
 * time and serve as keyset-pagination cursors.
 */
let lastMs = -Infinity;
let seq = 0;

export function uuidv7(nowMs: number = Date.now()): string {
  // The library's own ordering holds only for its own clock; a caller's clock (a store's `now`)
  // gets the same guarantee here: never backwards, a counter within one millisecond.
  if (nowMs > lastMs) {
    lastMs = nowMs;
    seq = randomInt(0, 2 ** 31);
  } else if (++seq > 0xffffffff) {
    lastMs += 1;
    seq = 0;
  }
  return v7({ msecs: lastMs, seq });
}

/** Ids come from URLs; checking the shape first turns a bad id into "not found", not a SQL error. */
export function isUuid(value: string): boolean {
  return validate(value);
}
