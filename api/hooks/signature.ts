import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'revflow-signature';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `signature`: the v1 value that matched, remembered for the tolerance window (replays, replay.ts). */
export type SignatureCheck = { ok: true; signature: string } | { ok: false; reason: string };

/** `Revflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>` (several v1 allowed). */
export function signPayload(
  secret: string,
  body: Buffer | string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export function verifySignature(
  header: string | undefined,
  secret: string,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: 'The Revflow-Signature header is missing' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    return { ok: false, reason: 'The Revflow-Signature header must look like t=<timestamp>,v1=<signature>' };
  }
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: `The signature timestamp is outside the ${SIGNATURE_TOLERANCE_SECONDS / 60}-minute tolerance`,
    };
  }
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex'),
    'utf8',
  );
  for (const signature of signatures) {
    const given = Buffer.from(signature, 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, signature };
  }
  return { ok: false, reason: 'The signature does not match the body' };
}
