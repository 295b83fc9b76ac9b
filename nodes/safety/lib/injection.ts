/**
 * Layered prompt-injection heuristics. Layer 1 normalises the text (NFKC, invisible and bidi
 * characters removed, lookalike letters folded) and notes the tricks it undid; layer 2 decodes
 * embedded payloads (base64, hex, rot13) so they are read too; layer 3 scores rule families.
 * The score is the strongest rule plus a little for each further one, capped at 1.
 */
export const injectionRules = [
  'ignore_instructions',
  'role_play',
  'system_prompt_extraction',
  'delimiter_injection',
  'encoded_payload',
  'unicode_tricks',
  'canary_leak',
] as const;
export type InjectionRule = (typeof injectionRules)[number];

export interface InjectionHit {
  rule: InjectionRule;
  weight: number;
}

const RULES: ReadonlyArray<{ rule: InjectionRule; weight: number; pattern: RegExp }> = [
  {
    rule: 'ignore_instructions',
    weight: 0.9,
    pattern:
      /\b(?:ignore|disregard|forget|override|overrule|skip|bypass|abandon|drop)\b[^.\n]{0,40}?\b(?:previous|prior|preceding|above|earlier|all|any|every|your|the|these|those|system|initial|original|following)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules?|directions?|guidelines?|directives?|context|messages?|constraints?|orders?|commands?|programming|policies)\b/i,
  },
  {
    rule: 'ignore_instructions',
    weight: 0.7,
    pattern: /\b(?:new|updated|real|actual) (?:instructions?|rules|task)\s*:/i,
  },
  {
    rule: 'ignore_instructions',
    weight: 0.55,
    pattern: /\b(?:instead|now),? (?:just )?(?:say|print|output|respond with|reply with) ["'“]/i,
  },
  {
    rule: 'role_play',
    weight: 0.85,
    pattern:
      /\b(?:DAN mode|do anything now|developer mode|jailbr(?:ea|o)ken?|jailbreak|god ?mode|evil (?:assistant|ai|bot)|unfiltered (?:ai|assistant|mode)|no (?:restrictions|filters|limitations|guidelines|rules|ethical|moral))\b/i,
  },
  {
    // Asking the model to become someone else: attack-specific wording.
    rule: 'role_play',
    weight: 0.7,
    pattern:
      /\b(?:pretend (?:to be|you are|that you are)|(?:immerse yourself|step) into the role|play the role of (?:an?|another)|roleplay as|role-play as|simulate (?:being|an? (?:ai|assistant|model))|stay in character|break character)\b/i,
  },
  {
    // Alone these phrases are ordinary English ("from now on you will work with Dana"): below medium.
    rule: 'role_play',
    weight: 0.5,
    pattern:
      /\b(?:you are now|you're now|from now on,? you(?: are| will| must)?|act as (?:an?|my|if)|you will play)\b/i,
  },
  {
    rule: 'system_prompt_extraction',
    weight: 0.85,
    pattern:
      /\b(?:reveal|show|print|repeat|output|display|leak|dump|tell me|give me|write out|what (?:is|are|was|were))\b[^.\n]{0,40}?\b(?:system (?:prompt|message|instructions?)|initial (?:prompt|instructions?)|(?:your|the) (?:instructions|prompt|rules|guidelines|configuration)|hidden (?:prompt|instructions?)|pre-?prompt|everything (?:above|before)|(?:text|words) above)\b/i,
  },
  {
    rule: 'system_prompt_extraction',
    weight: 0.7,
    pattern: /\brepeat (?:the|all|everything)[^.\n]{0,30}\b(?:above|verbatim|word for word)\b/i,
  },
  {
    rule: 'delimiter_injection',
    weight: 0.75,
    pattern:
      /<\|(?:im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<\/?(?:system|sys)>|<<SYS>>|^\s*(?:###\s*)?(?:system|assistant)\s*:/im,
  },
];

const INVISIBLE =
  /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/gu;
/** Cyrillic and Greek letters that look like Latin ones. */
const CONFUSABLE: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ɡ: 'g',
  һ: 'h',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  І: 'I',
  α: 'a',
  ο: 'o',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  τ: 't',
  υ: 'u',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Χ: 'X',
};
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLE).join('')}]`, 'gu');

export function normalise(text: string): { text: string; tricks: boolean } {
  const nfkc = text.normalize('NFKC');
  const visible = nfkc.replace(INVISIBLE, '');
  // Lookalikes only count as a trick inside a word that also has Latin letters ("іgnore").
  let mixed = false;
  const folded = visible.replace(/\p{L}+/gu, (word) => {
    if (!CONFUSABLE_RE.test(word)) return word;
    CONFUSABLE_RE.lastIndex = 0;
    if (/[A-Za-z]/.test(word)) mixed = true;
    return word.replace(CONFUSABLE_RE, (ch) => CONFUSABLE[ch] ?? ch);
  });
  return { text: folded, tricks: mixed || visible.length !== nfkc.length };
}

const rot13 = (s: string): string =>
  s.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

function printable(s: string): boolean {
  if (s.length < 8) return false;
  let ok = 0;
  for (const ch of s) if (/[\p{L}\p{N}\p{P}\s]/u.test(ch)) ok += 1;
  return ok / s.length > 0.9;
}

/** Texts hidden in the input: base64 and hex runs that decode to readable text, and the rot13 reading. */
export function decodedPayloads(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)) {
    const decoded = Buffer.from(m[0], 'base64').toString('utf8');
    if (printable(decoded)) out.push(decoded);
  }
  for (const m of text.matchAll(/\b(?:[0-9a-f]{2}[\s:]?){12,}\b/gi)) {
    const decoded = Buffer.from(m[0].replace(/[\s:]/g, ''), 'hex').toString('utf8');
    if (printable(decoded)) out.push(decoded);
  }
  out.push(rot13(text));
  return out;
}

function ruleHits(text: string): InjectionHit[] {
  const hits: InjectionHit[] = [];
  for (const { rule, weight, pattern } of RULES) if (pattern.test(text)) hits.push({ rule, weight });
  return hits;
}

export interface InjectionResult {
  score: number;
  hits: InjectionHit[];
}

const MAX_SCAN = 200_000;

export function scoreInjection(raw: string, canary?: string): InjectionResult {
  const input = raw.length > MAX_SCAN ? raw.slice(0, MAX_SCAN) : raw;
  const { text, tricks } = normalise(input);
  const hits = ruleHits(text);
  const plainRules = new Set(hits.map((h) => h.rule));
  for (const decoded of decodedPayloads(text)) {
    const hidden = ruleHits(normalise(decoded).text).filter((h) => !plainRules.has(h.rule));
    if (hidden.length > 0) hits.push({ rule: 'encoded_payload', weight: 0.9 });
  }
  if (tricks) hits.push({ rule: 'unicode_tricks', weight: hits.length > 0 ? 0.5 : 0.35 });
  if (canary && canary.length >= 8 && raw.includes(canary)) hits.push({ rule: 'canary_leak', weight: 1 });
  const unique = new Map<InjectionRule, number>();
  for (const hit of hits) unique.set(hit.rule, Math.max(unique.get(hit.rule) ?? 0, hit.weight));
  const weights = [...unique.values()].sort((a, b) => b - a);
  const score = weights.length === 0 ? 0 : Math.min(1, weights[0]! + 0.1 * (weights.length - 1));
  return { score, hits: [...unique].map(([rule, weight]) => ({ rule, weight })) };
}
