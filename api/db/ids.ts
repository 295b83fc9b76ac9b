import { v7, validate } from 'uuid';

/**
 * UUID version 7 (RFC 9562) from the `uuid` package: 48-bit Unix milliseconds, then a counter
 * and randomness, so ids made in this process are strictly increasing — they sort by creation
 * time and serve as keyset-pagination cursors.
 */
export function uuidv7(nowMs?: number): string {
  return nowMs === undefined ? v7() : v7({ msecs: nowMs });
}

/** Ids come from URLs; checking the shape first turns a bad id into "not found", not a SQL error. */
export function isUuid(value: string): boolean {
  return validate(value);
}
