import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * Secrets handed to people (session cookies, API keys, invitation links) are random and
 * stored only as their SHA-256. The tokens carry ≥ 256 bits of randomness, so a plain hash is
 * enough (no salt or slow hash needed), and lookups by hash do not leak timing about the secret.
 */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** 32 random bytes, base64url: session tokens and invitation tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

/**
 * API keys: `rf_live_` + 43 base62 characters (≈ 256 bits). The fixed prefix lets secret
 * scanners and people recognise a Revflow key; base62 survives double-click selection and
 * shell quoting. The first 8 random characters are kept in clear as the key's visible prefix.
 */
export const API_KEY_PREFIX = 'rf_live_';
const API_KEY_RANDOM_LENGTH = 43;
const VISIBLE_RANDOM_CHARS = 8;
const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_RANDOM_LENGTH}}$`);

export interface NewApiKey {
  /** The whole key: shown to its creator once, never stored. */
  key: string;
  /** `rf_live_` + 8 characters, stored and listed. */
  prefix: string;
  hash: string;
}

export function newApiKey(): NewApiKey {
  const key = API_KEY_PREFIX + base62(API_KEY_RANDOM_LENGTH);
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + VISIBLE_RANDOM_CHARS), hash: sha256(key) };
}

export function looksLikeApiKey(value: string): boolean {
  return API_KEY_SHAPE.test(value);
}
