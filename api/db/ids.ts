import { randomFillSync } from 'node:crypto';

/**
 * UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Ids made in this
 * process are strictly increasing (a 12-bit counter orders ids within one millisecond), so
 * run ids sort by creation time and serve as keyset-pagination cursors.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Randomness is drawn in blocks: one randomFillSync per ~400 ids instead of one per id.
const random = new Uint8Array(4096);
let randomOffset = random.length;

let lastMs = -1;
let counter = 0;

function randomBytes(count: number): number {
  if (randomOffset + count > random.length) {
    randomFillSync(random);
    randomOffset = 0;
  }
  const at = randomOffset;
  randomOffset += count;
  return at;
}

export function uuidv7(nowMs: number = Date.now()): string {
  const at = randomBytes(10);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // Start the counter in its lower half so a burst within one ms rarely overflows it.
    counter = ((random[at] ?? 0) << 3) & 0x7ff;
  } else if (++counter > 0xfff) {
    // More than ~2k ids in one ms (or the clock went back): borrow the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const ms = lastMs;
  const hi = Math.floor(ms / 0x1000000); // top 24 bits of the 48-bit timestamp
  const lo = ms % 0x1000000;
  const b = random;
  return (
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    HEX[(lo >>> 16) & 0xff]! +
    '-' +
    HEX[(lo >>> 8) & 0xff]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | ((b[at + 1] ?? 0) & 0x3f)]! +
    HEX[b[at + 2] ?? 0]! +
    '-' +
    HEX[b[at + 3] ?? 0]! +
    HEX[b[at + 4] ?? 0]! +
    HEX[b[at + 5] ?? 0]! +
    HEX[b[at + 6] ?? 0]! +
    HEX[b[at + 7] ?? 0]! +
    HEX[b[at + 8] ?? 0]!
  );
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids come from URLs; checking the shape first turns a bad id into "not found", not a SQL error. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
