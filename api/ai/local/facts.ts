import * as chrono from 'chrono-node';
import nlp from 'compromise';
import { findPhoneNumbersInText } from 'libphonenumber-js';
import { entitiesOf, sentencesOf, stemmedWords } from './nlp.js';

/** A value found in the text, with where it was found (to pick the one nearest a keyword). */
export interface Found<T> {
  value: T;
  text: string;
  index: number;
}

/** Everything the local provider reads out of a text once, before filling any field. */
export interface Facts {
  text: string;
  lower: string;
  emails: Found<string>[];
  phones: Found<string>[];
  urls: Found<string>[];
  dates: Found<Date>[];
  money: Found<{ amount: number; currency: string | undefined }>[];
  people: Found<string>[];
  orgs: Found<string>[];
  places: Found<string>[];
  sentences: Array<{ text: string; sentiment: number }>;
  words: Array<{ stem: string; index: number }>;
  now: Date;
}

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const urlPattern = /\b(?:https?:\/\/|www\.)[^\s<>"'`)\]]+/gi;
const moneyPattern =
  /(?:(US\$|USD|EUR|GBP|\$|€|£)\s?(\d[\d,]*(?:\.\d+)?)\s?(k|m|thousand|million)?\b|\b(\d[\d,]*(?:\.\d+)?)\s?(k|m|thousand|million)?\s?(USD|EUR|GBP|dollars|euros|pounds)\b)/gi;
const currencyCodes: Record<string, string> = {
  $: 'USD',
  us$: 'USD',
  usd: 'USD',
  dollars: 'USD',
  '€': 'EUR',
  eur: 'EUR',
  euros: 'EUR',
  '£': 'GBP',
  gbp: 'GBP',
  pounds: 'GBP',
};
const freemail = new Set([
  'gmail',
  'googlemail',
  'yahoo',
  'hotmail',
  'outlook',
  'live',
  'icloud',
  'aol',
  'proton',
  'protonmail',
  'gmx',
  'mail',
  'yandex',
]);

// Who writes, best first: an introduction, a signature; the person greeted comes last.
const introPattern = /\b(?:I'm|I am|my name is|this is)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b/g;
const signaturePattern =
  /(?:^|\n)\s*(?:Best|Regards|Kind regards|Best regards|Cheers|Thanks|Thank you|Sincerely)[^\n]{0,20}\n\s*([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s*(?:\n|,|$)/g;
const salutationPattern = /\b(?:Dear|Hi|Hello|Hey)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b/g;
// "Head of Revenue Operations, Northwind Traders": the company after a signature's title.
const titleCompanyPattern =
  /\b(?:VP|Vice President|Director|Manager|Head|Chief|Founder|CEO|CTO|CFO|COO|CRO|CMO|President|Lead)[\w &/-]{0,40}?,\s+([A-Z][\w&'-]+(?:\s+[A-Z][\w&'-]+){0,3})/g;
const notNames =
  /^(Team|All|There|Everyone|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|September|October|November|December|Sales|Support|Marketing|Please|Thanks)\b/;

/** priya.raman@x.com → Priya Raman; nothing for role addresses (sales@, info@). */
function nameFromEmail(email: string): string | undefined {
  const local = email.split('@')[0] ?? '';
  if (/^(info|sales|support|hello|contact|admin|team|billing|noreply|no-reply|office)$/i.test(local))
    return undefined;
  const parts = local.split(/[._-]/).filter((part) => /^[a-z]{2,}$/i.test(part));
  if (parts.length === 0 || parts.length > 3) return undefined;
  return parts.map((part) => part[0]!.toUpperCase() + part.slice(1).toLowerCase()).join(' ');
}

function all(pattern: RegExp, text: string): Array<{ text: string; index: number }> {
  return [...text.matchAll(pattern)].map((match) => ({ text: match[0], index: match.index }));
}

function locate(text: string, values: string[]): Found<string>[] {
  const seen = new Set<string>();
  const out: Found<string>[] = [];
  for (const raw of values) {
    const value = raw
      .trim()
      .replace(/[.,;:!?]+$/, '')
      .replace(/^[("']+|[)"']+$/g, '');
    if (value.length < 2 || seen.has(value.toLowerCase())) continue;
    seen.add(value.toLowerCase());
    const index = text.indexOf(value);
    out.push({ value, text: value, index: index < 0 ? 0 : index });
  }
  return out;
}

export function amountOf(number: string, scale: string | undefined): number {
  const base = Number(number.replace(/,/g, ''));
  const factor = !scale ? 1 : /^(k|thousand)$/i.test(scale) ? 1_000 : 1_000_000;
  return Math.round(base * factor * 100) / 100;
}

/** The organisation an email address points at, when it is not a free mail domain: sarah@acme-labs.io → Acme Labs. */
export function orgFromEmail(email: string): string | undefined {
  const domain = email.split('@')[1]?.toLowerCase() ?? '';
  const label = domain.split('.').slice(-2, -1)[0] ?? '';
  if (!label || freemail.has(label)) return undefined;
  return label
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join(' ');
}

// Only lines that could hold a date go through chrono (its full parse is the slowest reader).
const dateCue =
  /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|today|tonight|tomorrow|yesterday|next|last|this|ago|week|month|quarter|year|eod|eow|eom|noon|midnight|q[1-4])|\d{1,4}[/.-]\d{1,2}|\d{1,2}(st|nd|rd|th)\b|\d{1,2}(:\d{2})?\s?(am|pm)\b/i;

function datesIn(text: string, now: Date): Found<Date>[] {
  const found: Found<Date>[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    if (dateCue.test(line))
      for (const result of chrono.parse(line, now, { forwardDate: true }))
        found.push({ value: result.start.date(), text: result.text, index: offset + result.index });
    offset += line.length + 1;
  }
  return found;
}

function moneyIn(text: string): Found<{ amount: number; currency: string | undefined }>[] {
  const money = [...text.matchAll(moneyPattern)].map((match) => {
    const symbol = (match[1] ?? match[6] ?? '').toLowerCase();
    return {
      value: {
        amount: amountOf(match[2] ?? match[4] ?? '0', match[3] ?? match[5]),
        currency: currencyCodes[symbol],
      },
      text: match[0],
      index: match.index,
    };
  });
  // wink's MONEY entities catch what the pattern misses ("12,500 bucks" stays out: no currency).
  for (const entity of entitiesOf(text)) {
    if (entity.type !== 'MONEY' || money.some((m) => m.text.includes(entity.value))) continue;
    const number = /\d[\d,]*(?:\.\d+)?/.exec(entity.value);
    if (number)
      money.push({
        value: { amount: amountOf(number[0], undefined), currency: undefined },
        text: entity.value,
        index: text.indexOf(entity.value),
      });
  }
  return money.sort((a, b) => a.index - b.index);
}

/**
 * The facts of a text, each read the first time a field asks for it: a schema of emails and
 * phones never pays for the date parser or the name tagger.
 */
export function gatherFacts(text: string, now: Date): Facts {
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, read: () => T): T => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key) as T;
  };
  const doc = (): ReturnType<typeof nlp> => once('doc', () => nlp(text));
  const facts: Facts = {
    text,
    lower: text.toLowerCase(),
    now,
    get emails() {
      return once('emails', () =>
        all(emailPattern, text).map((m) => ({ value: m.text.toLowerCase(), ...m })),
      );
    },
    get urls() {
      return once('urls', () =>
        all(urlPattern, text)
          .map((m) => ({ ...m, text: m.text.replace(/[.,;:!?]+$/, '') }))
          .filter((m) => !facts.emails.some((email) => email.text.includes(m.text)))
          .map((m) => ({ ...m, value: m.text.startsWith('www.') ? `https://${m.text}` : m.text })),
      );
    },
    get phones() {
      return once('phones', () =>
        findPhoneNumbersInText(text, 'US').map((found) => ({
          value: found.number.number,
          text: text.slice(found.startsAt, found.endsAt),
          index: found.startsAt,
        })),
      );
    },
    get dates() {
      return once('dates', () => datesIn(text, now).sort((a, b) => a.index - b.index));
    },
    get money() {
      return once('money', () => moneyIn(text));
    },
    get people() {
      return once('people', () =>
        locate(text, [
          // compromise misses names it does not know: introductions, signatures, salutations.
          ...[...text.matchAll(introPattern)].map((m) => m[1] ?? ''),
          ...[...text.matchAll(signaturePattern)].map((m) => m[1] ?? ''),
          // "Priya Raman <priya@northwind.com>", "Priya Raman (priya@...)".
          ...[...text.matchAll(/\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})\s*[(<]\s*[A-Za-z0-9._%+-]+@/g)].map(
            (m) => m[1] ?? '',
          ),
          ...(doc().people().out('array') as string[]),
          ...facts.emails.map((e) => nameFromEmail(e.value) ?? ''),
          ...[...text.matchAll(salutationPattern)].map((m) => m[1] ?? ''),
        ]).filter((p) => !p.value.includes('@') && /\p{Lu}/u.test(p.value) && !notNames.test(p.value)),
      );
    },
    get orgs() {
      return once('orgs', () => {
        const people = facts.people;
        const orgs = locate(text, [
          ...(doc().organizations().out('array') as string[]),
          ...[...text.matchAll(titleCompanyPattern)].map((m) => m[1] ?? ''),
          ...[...text.matchAll(/\b(?:at|from)\s+([A-Z][\w&'-]+(?:\s+[A-Z][\w&'-]+){0,3})/g)]
            .map((m) => m[1] ?? '')
            .filter((org) => !notNames.test(org) && !people.some((p) => org.startsWith(p.value))),
          ...[
            ...text.matchAll(
              /\b((?:[A-Z][\w&'-]*\s+){0,3}(?:Inc|Corp|Corporation|LLC|Ltd|GmbH|AG|SA|SAS|BV|Labs|Technologies|Systems|Group|Software)\b\.?)/g,
            ),
          ].map((m) => m[1] ?? ''),
        ]);
        for (const email of facts.emails) {
          const org = orgFromEmail(email.value);
          if (org && !orgs.some((o) => o.value.toLowerCase().startsWith(org.toLowerCase())))
            orgs.push({ value: org, text: email.text, index: email.index + text.length });
        }
        return orgs;
      });
    },
    get places() {
      return once('places', () => locate(text, doc().places().out('array') as string[]));
    },
    get sentences() {
      return once('sentences', () => sentencesOf(text));
    },
    get words() {
      return once('words', () => stemmedWords(text));
    },
  };
  return facts;
}
