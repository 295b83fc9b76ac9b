import { isValidIBAN } from 'ibantools';
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { boostFor } from './context.js';
import { namedEntities } from './ner.js';
import { secretCandidates } from './secrets.js';

/**
 * PII recognisers in the manner of Microsoft Presidio: each finds candidates with a base score,
 * validators (Luhn, mod-97, number metadata) confirm them, and context words near a candidate
 * raise its score. Callers keep the findings at or above their threshold.
 */
export { piiEntities, type PiiEntity } from './entities.js';
import type { PiiEntity } from './entities.js';

export interface PiiFinding {
  entity: PiiEntity;
  start: number;
  end: number;
  score: number;
  value: string;
}

export interface DetectOptions {
  entities?: ReadonlySet<PiiEntity>;
  /** The region phone numbers without a country code are read in. */
  defaultRegion?: CountryCode;
  /** Values that are never PII here (a company's own support address). */
  allow?: ReadonlySet<string>;
}

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g;
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s/@:'"<>]{1,256}:[^\s/@'"<>]{1,256}@[^\s/'"<>]+/gi;
const CARD = /(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;
const SSN = /(?<![\d-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\d-])/g;
const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
const IPV6 = /(?<![:\w])(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?:(?::[0-9a-f]{1,4}){0,6})?(?![:\w])/gi;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the major card networks (a Luhn-valid number without one is likely not a card). */
const CARD_PREFIX =
  /^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9])|35|62)/;

function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  // Published example numbers (Woolworth's wallet card and the like) are not anyone's.
  return !['078051120', '219099999', '123456789'].includes(area + group + serial);
}

function push(
  out: PiiFinding[],
  entity: PiiEntity,
  text: string,
  start: number,
  end: number,
  base: number,
): void {
  out.push({
    entity,
    start,
    end,
    value: text.slice(start, end),
    score: Math.min(1, base + boostFor(entity, text, start)),
  });
}

function regexFindings(
  text: string,
  want: (entity: PiiEntity) => boolean,
  region: CountryCode,
): PiiFinding[] {
  const out: PiiFinding[] = [];
  if (want('email'))
    for (const m of text.matchAll(EMAIL)) push(out, 'email', text, m.index, m.index + m[0].length, 0.85);
  if (want('url_credentials'))
    for (const m of text.matchAll(URL_CREDENTIALS))
      push(out, 'url_credentials', text, m.index, m.index + m[0].length, 0.95);
  if (want('card')) {
    for (const m of text.matchAll(CARD)) {
      const digits = m[0].replace(/[ -]/g, '');
      if (digits.length < 13 || !luhnValid(digits)) continue;
      push(out, 'card', text, m.index, m.index + m[0].length, CARD_PREFIX.test(digits) ? 0.8 : 0.3);
    }
  }
  if (want('iban')) {
    for (const m of text.matchAll(IBAN)) {
      if (isValidIBAN(m[0].replace(/ /g, ''))) push(out, 'iban', text, m.index, m.index + m[0].length, 0.95);
    }
  }
  if (want('ssn')) {
    for (const m of text.matchAll(SSN)) {
      if (!ssnValid(m[1]!, m[3]!, m[4]!)) continue;
      // Dashes are how SSNs are written; nine bare digits are most often something else.
      const base = m[2] === '-' ? 0.6 : m[2] === ' ' ? 0.35 : 0.1;
      push(out, 'ssn', text, m.index, m.index + m[0].length, base);
    }
  }
  if (want('ip')) {
    for (const m of text.matchAll(IPV4)) push(out, 'ip', text, m.index, m.index + m[0].length, 0.65);
    for (const m of text.matchAll(IPV6)) {
      if (m[0].split(':').length >= 4) push(out, 'ip', text, m.index, m.index + m[0].length, 0.6);
    }
  }
  if (want('phone')) {
    for (const found of findPhoneNumbersInText(text, { defaultCountry: region })) {
      const valid = found.number.isValid();
      push(out, 'phone', text, found.startsAt, found.endsAt, valid ? 0.6 : 0.3);
    }
  }
  if (want('secret')) {
    for (const c of secretCandidates(text)) push(out, 'secret', text, c.start, c.end, c.score);
  }
  return out;
}

/** The entities wanted, overlapping spans resolved in favour of the stronger (then longer) finding. */
export function detectPii(text: string, options: DetectOptions = {}): PiiFinding[] {
  if (text.length === 0) return [];
  const wanted = options.entities;
  const want = (entity: PiiEntity): boolean => !wanted || wanted.has(entity);
  const all = regexFindings(text, want, options.defaultRegion ?? 'US');
  if (want('person') || want('location')) {
    for (const entity of namedEntities(text)) {
      if (!want(entity.entity)) continue;
      // A one-word place ("Red", "UK") is often something else: it needs a context word to count.
      const oneWord = !/\s/.test(text.slice(entity.start, entity.end));
      push(
        all,
        entity.entity,
        text,
        entity.start,
        entity.end,
        entity.entity === 'location' && oneWord ? 0.4 : 0.55,
      );
    }
  }
  const allow = options.allow;
  const kept = allow && allow.size > 0 ? all.filter((f) => !allow.has(f.value.toLowerCase())) : all;
  kept.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const chosen: PiiFinding[] = [];
  for (const finding of kept) {
    if (chosen.some((c) => finding.start < c.end && c.start < finding.end)) continue;
    chosen.push(finding);
  }
  return chosen.sort((a, b) => a.start - b.start);
}
