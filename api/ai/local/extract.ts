import type { Json, JsonObject } from '../../../engine/json.js';
import type { AiJsonSchema } from '../../../nodes/ai/service.js';
import { gatherFacts, type Facts, type Found } from './facts.js';
import { contentStems } from './nlp.js';

/**
 * The local provider's extraction: each field of a JSON Schema is filled from what the text
 * says, by the field's type, format, enum and name (emails, phones, dates, money, people,
 * organisations, places, URLs, numbers near a keyword, yes/no by keyword, enum values by
 * mention). Fields it cannot fill are reported, never guessed.
 */

type Kind =
  | 'email'
  | 'phone'
  | 'url'
  | 'domain'
  | 'date'
  | 'money'
  | 'currency'
  | 'person'
  | 'firstName'
  | 'lastName'
  | 'org'
  | 'place'
  | 'title'
  | 'summary'
  | 'subject'
  | 'sentiment'
  | 'text';

const kindWords: ReadonlyArray<readonly [Kind, RegExp]> = [
  ['email', /^(e?mail|emails|email_?address)$/],
  ['phone', /^(phone|tel|telephone|mobile|cell|phones)$/],
  ['url', /^(url|website|site|link|homepage|web|urls|links)$/],
  ['domain', /^domain$/],
  ['date', /^(date|deadline|when|day|due|start|starts|begin|until|timeline|time|on|by|at)$/],
  ['currency', /^currency$/],
  ['money', /^(amount|budget|price|cost|value|revenue|money|spend|arr|mrr|acv|tcv|fee|total|deal)$/],
  ['firstName', /^(first|given|firstname)$/],
  ['lastName', /^(last|family|surname|lastname)$/],
  ['org', /^(company|organization|organisation|org|account|employer|business|firm|customer_company)$/],
  ['place', /^(city|country|location|region|address|place|state|hq|where)$/],
  ['title', /^(title|role|position|job|jobtitle)$/],
  ['subject', /^(subject|topic|headline)$/],
  [
    'summary',
    /^(summary|description|notes|note|message|body|content|details|request|reason|need|needs|intent|ask)$/,
  ],
  ['sentiment', /^(sentiment|tone|mood)$/],
  ['person', /^(name|person|contact|lead|sender|who|prospect|buyer|champion|people|names|contacts)$/],
];

const genericWords = new Set([
  'number',
  'num',
  'count',
  'total',
  'of',
  'the',
  'is',
  'has',
  'have',
  'wants',
  'want',
  'needs',
  'need',
  'can',
  'should',
  'did',
  'does',
  'do',
  'will',
  'ok',
  'any',
  'requested',
  'amount',
  'how',
  'many',
  'much',
]);
const negations = new Set([
  'no',
  'not',
  "don't",
  'dont',
  "doesn't",
  'doesnt',
  'never',
  'without',
  "won't",
  'wont',
  'nor',
  "isn't",
  "aren't",
  "n't",
  'cannot',
  "can't",
  'neither',
]);
const titlePattern =
  /\b((?:Senior |Sr\.? |Junior |Jr\.? |Head |Chief |Lead |Principal |Global |Regional |VP|Vice President|Director|Manager|Founder|Co-founder|CEO|CTO|CFO|COO|CMO|CRO|President|Owner|Engineer|Partner)(?:[\w&/ -]{0,30}?(?:of|for) [A-Z][\w&-]*(?: [A-Z][\w&-]*)?|[\w&/ -]{0,25}?)?)(?=[,.;]| at | with |\n|$)/;

/** A field's name and description as lower-case words: `dealValueUsd` → deal, value, usd. */
export function wordsOf(name: string, description: unknown): string[] {
  const spaced = `${name.replace(/([a-z0-9])([A-Z])/g, '$1 $2')} ${typeof description === 'string' ? description : ''}`;
  return spaced
    .toLowerCase()
    .split(/[^a-z0-9']+/)
    .filter(Boolean);
}

function nameWords(name: string): string[] {
  return wordsOf(name, undefined);
}

function kindOf(name: string, schema: JsonObject): Kind | undefined {
  const format = typeof schema.format === 'string' ? schema.format : '';
  if (format === 'email') return 'email';
  if (format === 'uri' || format === 'url' || format === 'iri') return 'url';
  if (format === 'date' || format === 'date-time') return 'date';
  const words = nameWords(name);
  if (words.includes('name') && words.some((w) => /^(first|given)$/.test(w))) return 'firstName';
  if (words.includes('name') && words.some((w) => /^(last|family)$/.test(w))) return 'lastName';
  // The last word decides: "contactEmail" is an email, "emailCount" a number.
  for (const word of [...words].reverse()) {
    for (const [kind, pattern] of kindWords) if (pattern.test(word)) return kind;
  }
  return undefined;
}

function typeOf(schema: JsonObject): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  if (Array.isArray(schema.enum)) return 'enum';
  if (schema.properties) return 'object';
  return undefined;
}

/** Positions of words in the text whose stem starts like one of the keywords' stems. */
function keywordPositions(facts: Facts, keywords: string[]): number[] {
  const stems = new Set(
    contentStems(keywords.filter((word) => !genericWords.has(word)).join(' ')).filter(
      (stem) => stem.length >= 2,
    ),
  );
  if (stems.size === 0) return [];
  return facts.words.filter((word) => stems.has(word.stem)).map((word) => word.index);
}

function nearest<T>(found: Found<T>[], positions: number[]): Found<T> | undefined {
  if (found.length <= 1 || positions.length === 0) return found[0];
  let best: Found<T> | undefined;
  let bestDistance = Infinity;
  for (const item of found) {
    const distance = Math.min(...positions.map((p) => Math.abs(p - item.index)));
    if (distance < bestDistance) [best, bestDistance] = [item, distance];
  }
  return best;
}

function numberNear(facts: Facts, keywords: string[]): number | undefined {
  const positions = keywordPositions(facts, keywords);
  if (positions.length === 0) return undefined;
  const numbers = [...facts.text.matchAll(/(?<![\w.$€£])(\d[\d,]*(?:\.\d+)?)(?![\d%])/g)].map((m) => ({
    value: Number(m[1]!.replace(/,/g, '')),
    text: m[0],
    index: m.index,
  }));
  const close = numbers.filter((n) => positions.some((p) => Math.abs(p - n.index) <= 40));
  return nearest(close, positions)?.value;
}

function booleanFor(facts: Facts, keywords: string[]): boolean | undefined {
  const positions = keywordPositions(facts, keywords);
  if (positions.length === 0) return undefined;
  const before = facts.lower.slice(Math.max(0, positions[0]! - 40), positions[0]);
  const words = before.split(/[^a-z']+/).slice(-5);
  return !words.some((word) => negations.has(word) || word.endsWith("n't"));
}

function enumFor(facts: Facts, values: Json[], keywords: string[]): Json | undefined {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const sentimentValues = strings.filter((v) => /^(positive|negative|neutral)$/i.test(v));
  if (sentimentValues.length >= 2 || keywords.some((w) => /^(sentiment|tone|mood)$/.test(w))) {
    const score = facts.sentences.reduce((sum, s) => sum + s.sentiment, 0);
    const wanted = score > 0.1 ? 'positive' : score < -0.1 ? 'negative' : 'neutral';
    const hit = strings.find((v) => v.toLowerCase() === wanted);
    if (hit) return hit;
  }
  let best: string | undefined;
  let bestIndex = Infinity;
  for (const value of strings) {
    const positions = keywordPositions(facts, wordsOf(value, undefined));
    if (positions.length > 0 && positions[0]! < bestIndex) [best, bestIndex] = [value, positions[0]!];
  }
  return best;
}

function sentenceWith(facts: Facts, keywords: string[]): string | undefined {
  const stems = contentStems(keywords.filter((w) => !genericWords.has(w)).join(' ')).filter(
    (s) => s.length >= 3,
  );
  if (stems.length === 0) return undefined;
  return facts.sentences
    .find((sentence) => contentStems(sentence.text).some((s) => stems.some((k) => s.startsWith(k))))
    ?.text.trim();
}

const greeting = /^(hi|hello|hey|dear|thanks|thank you|best|regards|cheers|sincerely)\b/i;

function stringFor(
  kind: Kind | undefined,
  facts: Facts,
  keywords: string[],
  format: string,
): Json | undefined {
  const positions = keywordPositions(facts, keywords);
  switch (kind) {
    case 'email':
      return nearest(facts.emails, positions)?.value;
    case 'phone':
      return nearest(facts.phones, positions)?.value;
    case 'url':
      return nearest(facts.urls, positions)?.value;
    case 'domain': {
      const source = facts.urls[0]?.value ?? facts.emails[0]?.value;
      if (!source) return undefined;
      return source.includes('@')
        ? source.split('@')[1]
        : new URL(source.startsWith('http') ? source : `https://${source}`).hostname;
    }
    case 'date': {
      // Without a keyword nearby, a coming date beats one in the past ("yesterday's call").
      const today = new Date(facts.now);
      today.setUTCHours(0, 0, 0, 0);
      const coming = facts.dates.filter((d) => d.value.getTime() >= today.getTime());
      const date = (positions.length > 0 ? nearest(facts.dates, positions) : (coming[0] ?? facts.dates[0]))
        ?.value;
      if (!date) return undefined;
      return format === 'date-time' ? date.toISOString() : date.toISOString().slice(0, 10);
    }
    case 'money': {
      const money = nearest(facts.money, positions);
      return money?.text;
    }
    case 'currency':
      return facts.money.find((m) => m.value.currency)?.value.currency;
    case 'person':
      return facts.people[0]?.value;
    case 'firstName':
      return facts.people[0]?.value.split(/\s+/)[0];
    case 'lastName': {
      const parts = facts.people.find((p) => /\s/.test(p.value))?.value.split(/\s+/);
      return parts && parts.length > 1 ? parts[parts.length - 1] : undefined;
    }
    case 'org':
      return facts.orgs[0]?.value;
    case 'place':
      return nearest(facts.places, positions)?.value;
    case 'title':
      return titlePattern.exec(facts.text)?.[1]?.trim();
    case 'subject':
      return facts.sentences
        .find((s) => !greeting.test(s.text.trim()) && s.text.trim().length > 12)
        ?.text.trim();
    case 'summary':
      return (
        facts.sentences
          .filter((s) => !greeting.test(s.text.trim()))
          .slice(0, 2)
          .map((s) => s.text.trim())
          .join(' ') || undefined
      );
    case 'sentiment': {
      const score = facts.sentences.reduce((sum, s) => sum + s.sentiment, 0);
      return score > 0.1 ? 'positive' : score < -0.1 ? 'negative' : 'neutral';
    }
    default:
      return sentenceWith(facts, keywords);
  }
}

function listFor(kind: Kind | undefined, items: JsonObject, facts: Facts): Json[] {
  const itemKind = kindOf('', items) ?? kind;
  switch (itemKind) {
    case 'email':
      return facts.emails.map((e) => e.value);
    case 'phone':
      return facts.phones.map((p) => p.value);
    case 'url':
      return facts.urls.map((u) => u.value);
    case 'date':
      return facts.dates.map((d) => d.value.toISOString().slice(0, 10));
    case 'person':
      return facts.people
        .filter((p, _i, all) => !all.some((o) => o !== p && o.value.includes(p.value)))
        .map((p) => p.value);
    case 'org':
      return facts.orgs.map((o) => o.value);
    case 'place':
      return facts.places.map((p) => p.value);
    case 'money':
      return facts.money.map((m) => (typeOf(items) === 'number' ? m.value.amount : m.text));
    default:
      return [];
  }
}

function fillValue(
  name: string,
  schema: JsonObject,
  facts: Facts,
  path: string,
  missing: string[],
): Json | undefined {
  const type = typeOf(schema);
  const keywords = wordsOf(name, schema.description);
  const kind = kindOf(name, schema);
  if (Array.isArray(schema.enum)) return enumFor(facts, schema.enum, keywords);
  switch (type) {
    case 'object': {
      const filled = fillObject(schema, facts, path, missing);
      return Object.keys(filled).length > 0 ? filled : undefined;
    }
    case 'array': {
      const items =
        schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items) ? schema.items : {};
      const list = listFor(kind, items, facts);
      return list.length > 0 ? list : undefined;
    }
    case 'boolean':
      return booleanFor(facts, keywords);
    case 'number':
    case 'integer': {
      const value =
        kind === 'money'
          ? nearest(facts.money, keywordPositions(facts, keywords))?.value.amount
          : numberNear(facts, keywords);
      if (value === undefined || !Number.isFinite(value)) return undefined;
      return type === 'integer' ? Math.round(value) : value;
    }
    default:
      return stringFor(kind, facts, keywords, typeof schema.format === 'string' ? schema.format : '');
  }
}

function fillObject(schema: JsonObject, facts: Facts, path: string, missing: string[]): JsonObject {
  const properties =
    schema.properties && typeof schema.properties === 'object' && !Array.isArray(schema.properties)
      ? schema.properties
      : {};
  const out: JsonObject = {};
  for (const [name, property] of Object.entries(properties)) {
    if (!property || typeof property !== 'object' || Array.isArray(property)) continue;
    const fieldPath = path ? `${path}.${name}` : name;
    const before = missing.length;
    const value = fillValue(name, property, facts, fieldPath, missing);
    if (value === undefined) {
      if (missing.length === before) missing.push(fieldPath);
    } else out[name] = value;
  }
  return out;
}

export function localExtract(
  text: string,
  schema: AiJsonSchema,
  now = new Date(),
): { data: JsonObject; missing: string[] } {
  const missing: string[] = [];
  const data = fillObject(schema, gatherFacts(text, now), '', missing);
  return { data, missing };
}
