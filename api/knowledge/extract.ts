import nlp from 'compromise';
import { contentStems, sentencesOf, sentimentOf } from '../ai/local/nlp.js';

/**
 * The local provider of Knowledge Fusion: extractive and rule-based. A conversation (a call's
 * segments, an email reply, pasted "Speaker: text" lines) becomes turns with a side — ours (the
 * rep) or theirs (the prospect) — and from the turns come objections with the answer that
 * followed (and whether the prospect's next turn shows it worked), competitor mentions,
 * questions with answers, and the rep's talk tracks. Nothing is invented: every item is a quote.
 */

export type SourceType = 'call' | 'email' | 'run' | 'text';

export interface Turn {
  speaker: string;
  text: string;
  startMs: number | null;
  /** The rep's side; null when unknown (then resolved by `assignSides`). */
  ours: boolean | null;
}

export interface Material {
  type: SourceType;
  ref: string;
  label: string;
  turns: Turn[];
}

export interface Origin {
  sourceType: SourceType;
  sourceRef: string;
  label: string;
  speaker: string;
  startMs: number | null;
}

export interface ObjectionItem extends Origin {
  category: ObjectionCategory;
  quote: string;
  answer: string | null;
  worked: boolean;
}

export interface MentionItem extends Origin {
  name: string;
  quote: string;
  /** Our answer to a prospect's mention (null for our own mentions), who gave it and whether it landed. */
  reply: string | null;
  replySpeaker?: string;
  replyWorked?: boolean;
}

export interface QuestionItem extends Origin {
  question: string;
  answer: string | null;
  stems: string[];
}

export type TalkStage = 'opener' | 'discovery' | 'value' | 'next_steps';

export interface TalkItem extends Origin {
  stage: TalkStage;
  quote: string;
  worked: boolean;
}

export interface Extraction {
  objections: ObjectionItem[];
  mentions: MentionItem[];
  questions: QuestionItem[];
  talk: TalkItem[];
}

export const objectionCategories = [
  'price',
  'timing',
  'status_quo',
  'security',
  'integration',
  'authority',
  'need',
] as const;
export type ObjectionCategory = (typeof objectionCategories)[number];

export const categoryTitles: Record<ObjectionCategory, string> = {
  price: 'Price and budget',
  timing: 'Timing',
  status_quo: 'Happy with what they have',
  security: 'Security and compliance',
  integration: 'Integration and effort',
  authority: 'Needs sign-off',
  need: 'Not sure they need it',
};

const categoryPatterns: Array<[ObjectionCategory, RegExp]> = [
  [
    'price',
    /\b(too expensive|expensive|pric(e|es|ing|ey)|costs?|costly|budget|afford|cheaper|discount|(the|your) quote|more than we (expected|pay))\b/i,
  ],
  [
    'security',
    /\b(security|secure|compliance|gdpr|soc ?2|hipaa|privacy|legal review|infosec|sso|data (has|have|needs?) to stay|data residency|approve anything)\b/i,
  ],
  [
    'integration',
    /\b(integrat\w*|too complex|complicated|hard to (set up|use|implement|roll out)|implementation|onboarding|migrat\w*|ramp(-| )up|set ?up|roll ?out|months to)\b/i,
  ],
  [
    'timing',
    /\b(right now|next (quarter|year)|bad time|timing|priority|later this year|too busy|bandwidth|until after|reorg)\b/i,
  ],
  [
    'status_quo',
    /\b(already (use|have|using|pay)|happy with|current (tool|vendor|provider|solution|setup)|locked in|under contract|works fine|contract|signed (a|an)|switching)\b/i,
  ],
  [
    'authority',
    /\b(check with|talk to my|run it by|loop in|my (boss|manager|cfo|ceo|vp)|sign[- ]?s? off|decision maker|procurement|the board|approval)\b/i,
  ],
  [
    'need',
    /\b(don'?t (really )?need|no need|not convinced|don'?t see (the )?value|not sure (we|it|this)|nice to have|tired of|another tool)\b/i,
  ],
];

// Negations are matched without a leading \b: "don't" has no word boundary before "n't".
const concern =
  /(n[’']t\b|\b(too|not|no|concern\w*|worr\w*|hesitant|problem|issue|cannot|already|expensive|hard|complex|complicated|afraid|risk\w*|tight|pushback|skeptic\w*|unsure|strict|pain|tired|months|more than|has to|have to|need to|must|still|way)\b)/i;
const positive =
  /\b(makes sense|that helps|fair enough|sounds (good|great)|great|good point|i see|love (that|it)|that works|interesting|perfect|got it|that'?s helpful|okay|ok|let'?s do|sold)\b/i;
const valueTalk =
  /\b(we help|our customers|customers (like|typically|usually|tell)|teams (like|that)|on average|for example|the reason|what we do|we'?ve seen|save[sd]?|reduc\w+|increas\w+|\d+ ?%|roi|payback)\b/i;
const nextSteps =
  /\b(next steps?|follow[- ]up|send (you|over)|schedule|calendar|invite|book (a|some)|trial|pilot|proposal)\b/i;
const ourNames = /^(rep|ae|sdr|sales|seller|me|us|we|agent|host)\b/i;
const theirNames = /^(prospect|customer|client|buyer|lead|caller|guest)\b/i;

/**
 * Which side each speaker is on: given sides stay, named roles ("Rep", "Prospect") decide,
 * else the first speaker is the rep (reps open their calls) and everyone else the prospect.
 */
export function assignSides(turns: Turn[]): Turn[] {
  const known = new Map<string, boolean>();
  for (const turn of turns) if (turn.ours !== null) known.set(turn.speaker, turn.ours);
  const first = turns.find((turn) => turn.speaker !== '')?.speaker;
  const sideOf = (speaker: string): boolean => {
    const given = known.get(speaker);
    if (given !== undefined) return given;
    if (ourNames.test(speaker)) return true;
    if (theirNames.test(speaker)) return false;
    // With a known rep, an unknown speaker is a prospect.
    if ([...known.values()].includes(true)) return false;
    return speaker === first;
  };
  return turns.map((turn) => ({ ...turn, ours: sideOf(turn.speaker) }));
}

/** "Speaker: text" lines (or plain paragraphs) as turns. */
export function turnsFromText(text: string): Turn[] {
  const turns: Turn[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^([\p{L}][\p{L}\p{N} .'-]{0,40}):\s+(.+)$/u.exec(line);
    if (match) turns.push({ speaker: match[1]!.trim(), text: match[2]!, startMs: null, ours: null });
    else if (turns.length > 0 && turns[turns.length - 1]!.speaker === '')
      turns[turns.length - 1]!.text += ` ${line}`;
    else turns.push({ speaker: '', text: line, startMs: null, ours: null });
  }
  return turns;
}

/** Consecutive turns of one speaker become one. */
function merged(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const turn of turns) {
    const last = out[out.length - 1];
    if (last && last.speaker === turn.speaker && last.ours === turn.ours) last.text += ` ${turn.text}`;
    else out.push({ ...turn });
  }
  return out;
}

const clip = (text: string, max = 600): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function firstSentences(text: string, count: number): string {
  return clip(
    sentencesOf(text)
      .slice(0, count)
      .map((s) => s.text)
      .join(' '),
  );
}

/** The first turn after `index` on the given side, stopping at nothing (answers may come late). */
function nextTurn(turns: Turn[], index: number, ours: boolean): { turn: Turn; at: number } | undefined {
  for (let at = index + 1; at < Math.min(turns.length, index + 4); at += 1)
    if (turns[at]!.ours === ours) return { turn: turns[at]!, at };
  return undefined;
}

function workedAfter(turns: Turn[], answerAt: number): boolean {
  const reaction = nextTurn(turns, answerAt, false)?.turn.text;
  if (!reaction) return false;
  const opening = sentencesOf(reaction)[0]?.text ?? reaction;
  return positive.test(opening) || (sentimentOf(opening) > 0.2 && !concern.test(opening));
}

const commonCapitalised = new Set(
  'I We You They He She It The A An And But Or So Yes No Okay Ok Hi Hello Thanks Thank Sure Well Right Great Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October November December Q1 Q2 Q3 Q4 CEO CFO CTO VP AI CRM API SQL Excel Email Slack Zoom Google'.split(
    ' ',
  ),
);
const competitorContext =
  /\b(use|uses|using|used|tried|tested|trial+ed|through|chose|went with|signed with|pay for|paying for|looked at|with|from|switch\w*|moving|moved|compared?|comparing|vs\.?|versus|than|like|evaluat\w+|looking at|trial|demo|pitched|quoted|contract with|replac\w+|alternative)\b/i;

/**
 * Competitor names in a sentence: every listed name found on word boundaries, plus capitalised
 * organisation names (compromise's organisations and proper nouns) in a comparison context —
 * "we use Gong", "Chorus is cheaper than you".
 */
export function competitorNames(sentence: string, listed: readonly string[], detect = true): string[] {
  const found = new Map<string, string>();
  const lower = sentence.toLowerCase();
  for (const name of listed) {
    const key = name.toLowerCase();
    const at = lower.indexOf(key);
    if (at < 0) continue;
    const before = at === 0 ? ' ' : lower[at - 1]!;
    const after = lower[at + key.length] ?? ' ';
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) found.set(key, name);
  }
  if (
    detect &&
    (competitorContext.test(sentence) ||
      /^\p{Lu}\w+\s+(quoted|pitched|offered|charges)\b/u.test(sentence.trimStart()))
  ) {
    const doc = nlp(sentence);
    const people = new Set((doc.people().out('array') as string[]).map((p) => p.toLowerCase()));
    const candidates = [
      ...(doc.organizations().out('array') as string[]),
      ...(doc.match('#ProperNoun+').out('array') as string[]),
      ...[...sentence.matchAll(contextThenName)].map((m) => m[1]!),
      ...[...sentence.trimStart().matchAll(nameThenVerb)].map((m) => m[1]!),
    ];
    for (const raw of candidates) {
      const name = raw
        .replace(/[.,;:!?'"()]+$/g, '')
        .replace(/^[^\p{L}\p{N}]+/u, '')
        .trim();
      if (name.length < 2 || name.length > 40 || commonCapitalised.has(name)) continue;
      if (!/^\p{Lu}/u.test(name) || people.has(name.toLowerCase())) continue;
      // A sentence's first word is capitalised anyway: only trust it with the context right after it.
      if (
        sentence.trimStart().startsWith(name) &&
        !new RegExp(
          `^${escape(name)}\\s+(is|was|has|does|gives|offers|charges|quoted|pitched|offered|costs|told|only|also|can|does)\\b`,
        ).test(sentence.trimStart())
      )
        continue;
      if (![...found.keys()].some((key) => key === name.toLowerCase() || name.toLowerCase().includes(key)))
        found.set(name.toLowerCase(), name);
    }
  }
  return [...found.values()];
}

const contextThenName =
  /\b(?:use|uses|using|from|than|like|vs\.?|versus|evaluating|with|looked at|tried|trial+ed|through|chose)\s+(\p{Lu}[\p{L}\p{N}&-]*(?:\s+\p{Lu}[\p{L}\p{N}&-]*){0,2})/gu;
const nameThenVerb =
  /^(\p{Lu}[\p{L}\p{N}&-]+)\s+(?:quoted|pitched|offered|charges|is cheaper|costs|only)\b/gu;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function questionStems(question: string): string[] {
  return [...new Set(contentStems(question))].sort();
}

/** Everything the local provider finds in one conversation. */
export function extract(material: Material, competitors: readonly string[]): Extraction {
  const turns = merged(assignSides(material.turns));
  const out: Extraction = { objections: [], mentions: [], questions: [], talk: [] };
  const origin = (turn: Turn): Origin => ({
    sourceType: material.type,
    sourceRef: material.ref,
    label: material.label,
    speaker: turn.speaker,
    startMs: turn.startMs,
  });
  let openerSeen = false;
  turns.forEach((turn, index) => {
    const sentences = sentencesOf(turn.text)
      .map((s) => s.text.trim())
      .filter((s) => s.length > 0);
    const answerTo = nextTurn(turns, index, !turn.ours);
    const answer = answerTo ? firstSentences(answerTo.turn.text, 3) : null;
    for (const name of new Set(
      sentences.flatMap((s) => competitorNames(s, competitors, turn.ours === false)),
    )) {
      const quote = sentences.find((s) => s.toLowerCase().includes(name.toLowerCase())) ?? sentences[0]!;
      out.mentions.push({
        ...origin(turn),
        name,
        quote: clip(quote),
        reply: turn.ours ? null : answer,
        ...(!turn.ours &&
          answerTo && { replySpeaker: answerTo.turn.speaker, replyWorked: workedAfter(turns, answerTo.at) }),
      });
    }
    if (turn.ours) {
      const words = turn.text.split(/\s+/).length;
      if (!openerSeen && words >= 6) {
        openerSeen = true;
        out.talk.push({
          ...origin(turn),
          stage: 'opener',
          quote: firstSentences(turn.text, 2),
          worked: false,
        });
      }
      const worked = workedAfter(turns, index);
      for (const sentence of sentences) {
        const stage: TalkStage | undefined =
          sentence.endsWith('?') && sentence.split(/\s+/).length >= 5
            ? 'discovery'
            : valueTalk.test(sentence)
              ? 'value'
              : nextSteps.test(sentence)
                ? 'next_steps'
                : undefined;
        if (stage) out.talk.push({ ...origin(turn), stage, quote: clip(sentence), worked });
      }
      return;
    }
    for (const sentence of sentences) {
      if (sentence.endsWith('?') && sentence.split(/\s+/).length >= 4) {
        out.questions.push({
          ...origin(turn),
          question: clip(sentence, 300),
          answer,
          stems: questionStems(sentence),
        });
        continue;
      }
      const category = categoryPatterns.find(([, pattern]) => pattern.test(sentence))?.[0];
      if (!category || !concern.test(sentence)) continue;
      if (
        out.objections.some(
          (o) =>
            o.sourceRef === material.ref &&
            o.category === category &&
            o.speaker === turn.speaker &&
            o.quote === sentence,
        )
      )
        continue;
      out.objections.push({
        ...origin(turn),
        category,
        quote: clip(sentence),
        answer,
        worked: answerTo ? workedAfter(turns, answerTo.at) : false,
      });
    }
  });
  return out;
}

/** Jaccard overlap of two stem sets: questions asked in other words count as the same question. */
export function overlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const set = new Set(a);
  const shared = b.filter((stem) => set.has(stem)).length;
  return shared / (a.length + b.length - shared);
}
