import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's baseline (19 MiB, 2 passes, 1 lane): memory-hard, ~30 ms here.
 * `algorithm: 2` is Argon2id; the package's const enum cannot be imported under isolatedModules.
 */
const ARGON2ID = 2;
const options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

let dummyHash: Promise<string> | undefined;

/** Compute the dummy hash ahead of the first login, so even that one takes the usual time. */
export function prepareLoginTiming(): Promise<string> {
  return (dummyHash ??= hashPassword('not-a-real-password-only-for-timing'));
}

/**
 * Check a password against a stored hash. With no hash (unknown email) a dummy hash is
 * verified instead, so "no such user" and "wrong password" take the same time.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  const target = storedHash ?? (await prepareLoginTiming());
  try {
    const ok = await verify(target, password);
    return ok && storedHash !== undefined;
  } catch {
    return false; // a malformed stored hash is a failed login, not a 500
  }
}
