import type { PiiEntity } from './entities.js';

/**
 * Presidio-style context: words shortly before a candidate that make it more likely to be what
 * it looks like ("SSN: 536-…", "call me at …"). The window is the 48 characters before it.
 */
const contextWords: Readonly<Record<PiiEntity, readonly string[]>> = {
  email: ['email', 'e-mail', 'mail', 'contact', 'reach', 'write'],
  phone: ['phone', 'tel', 'telephone', 'call', 'mobile', 'cell', 'fax', 'text me', 'whatsapp', 'number'],
  card: ['card', 'visa', 'mastercard', 'amex', 'credit', 'debit', 'cc', 'payment'],
  iban: ['iban', 'account', 'bank', 'transfer', 'wire'],
  ssn: ['ssn', 'social security', 'social sec', 'tax id', 'taxpayer', 'ss#', 'ss #'],
  ip: ['ip', 'address', 'server', 'host', 'from', 'client'],
  url_credentials: [],
  secret: ['key', 'token', 'secret', 'password', 'passwd', 'api', 'bearer', 'credential', 'auth'],
  person: [
    'dear',
    'mr',
    'mrs',
    'ms',
    'dr',
    'name',
    'regards',
    'thanks',
    'sincerely',
    'hi',
    'hello',
    'from',
    'cheers',
    'signed',
    'contact',
  ],
  location: [
    'address',
    'located',
    'city',
    'street',
    'live',
    'based',
    'office',
    'visit',
    'near',
    'be in',
    'moved to',
    'flying to',
    'from',
  ],
};

const patterns = new Map<PiiEntity, RegExp | null>(
  (Object.keys(contextWords) as PiiEntity[]).map((entity) => {
    const words = contextWords[entity];
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return [
      entity,
      words.length ? new RegExp(`(?:^|[^a-z])(?:${escaped.join('|')})(?:[^a-z]|$)`, 'i') : null,
    ];
  }),
);

const boosts: Readonly<Record<PiiEntity, number>> = {
  email: 0.1,
  phone: 0.3,
  card: 0.15,
  iban: 0.05,
  ssn: 0.35,
  ip: 0.2,
  url_credentials: 0,
  secret: 0.35,
  person: 0.3,
  location: 0.25,
};

export function boostFor(entity: PiiEntity, text: string, start: number): number {
  const pattern = patterns.get(entity);
  if (!pattern) return 0;
  return pattern.test(text.slice(Math.max(0, start - 48), start)) ? boosts[entity] : 0;
}
