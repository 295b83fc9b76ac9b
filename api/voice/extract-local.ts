import nlp from 'compromise';
import { sentencesOf } from '../ai/local/nlp.js';
import { dueDateOf } from './due.js';
import type { Directory, Owner } from './owners.js';
import type { Segment } from './parse.js';

/**
 * The local (offline) extractor: rules over wink-nlp sentences, compromise for people's names and
 * chrono-node (due.ts) for dates. An action item is a commitment ("I'll send…", "we will…"), an
 * assignment ("Maria will…", "Tom, can you…", "action item: …") or a request the other side
 * accepts; its owner comes from the speaker or the named person. Decisions and open questions
 * are kept apart. Deterministic: the same transcript gives the same items.
 */

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

export interface ExtractedItem {
  text: string;
  owner: Owner | null;
  /** Why no owner, when there is none. */
  ownerReason?: string;
  /** A name that was said but resolved to nobody in the directory. */
  ownerHint?: string;
  dueDate: string | null;
  dueText: string | null;
  priority: Priority;
  quote: string;
  speaker: string;
  startMs: number;
  /** Internal: the speaker committed themself ("I'll…"); removed before the items leave. */
  self?: boolean;
}

export interface ExtractedNote {
  text: string;
  speaker: string;
  startMs: number;
  quote: string;
}

export interface Extraction {
  actionItems: ExtractedItem[];
  decisions: ExtractedNote[];
  questions: ExtractedNote[];
}

const FIRST_PERSON =
  /\b(?:i(?:'|’)ll|i will|i(?:'|’)m going to|i am going to|i(?:'|’)m gonna|let me|i need to|i have to|i(?:'|’)ve got to|i can (?!see|hear|imagine|understand|tell|say|think|relate|only|not|never|already|be\b)[a-z]+|i(?:'|’)ll make sure|i promise to|i(?:'|’)m on it|i(?:'|’)ll take care)\b/i;
const WE =
  /\b(?:we(?:'|’)ll|we will|we(?:'|’)re going to|we are going to|we need to|we have to|we should|let(?:'|’)s)\b/i;
const REQUEST =
  /\b(?:can you|could you|would you|will you|would you mind|can i ask you to|please|you(?:'|’)ll need to|you need to|you should|make sure you)\b/i;
const LABEL =
  /\b(?:action item|todo|to-do|next step|follow[- ]up item|takeaway for)\b\s*(?:for\s+([A-Z][\p{L}]+))?\s*[:-]?\s*/iu;
const NAMED =
  /\b([A-Z][\p{L}'’-]+)(?:\s+[A-Z][\p{L}'’-]+)?(?:,)?\s+(?:will|(?:'|’)ll|is going to|is gonna|can|could|should|needs to|has to|to own|owns|takes|is taking|is on)\b/u;
const TEAM =
  /\b(?:our|their|the|my|your) (?:[a-z]+ )?(?:team|department|folks|people) (?:will|(?:'|’)ll|is going to|needs to)\b/i;
const VOCATIVE_START =
  /^(?:so\s+|and\s+|okay\s+|ok\s+)?([A-Z][\p{L}'’-]+),\s+(?:can|could|would|will|please|you)\b/u;
const VOCATIVE_END = /,\s*([A-Z][\p{L}'’-]+)\s*[?.!]*$/u;

// Commitment words that are only ways of speaking ("I'll be honest", "let me think").
const NOT_TASKS =
  /\b(?:i(?:'|’)ll be honest|i will say|i(?:'|’)ll say|i(?:'|’)ll admit|let me (?:think|see|know|guess|be clear|ask you|just say|tell you|check if i)|i(?:'|’)ll let you go|i(?:'|’)ll pass|i(?:'|’)ll take that as|i need to (?:think|understand|run)|i(?:'|’)ll be (?:there|around|out|back|on)|we(?:'|’)ll see|let(?:'|’)s (?:see|start|begin|get started|dive|jump|wrap|talk|kick|move on|not)|we should be (?:good|fine|ok)|you should (?:see|know|have|be able)|i(?:'|’)ll hand it|i have to say|i(?:'|’)ll tell you|i(?:'|’)ll keep it short|please (?:go ahead|continue)|could you repeat|can you hear|can you see my screen|would you say|i(?:'|’)ll let you know|i(?:'|’)ll keep you (?:posted|updated)|i(?:'|’)ll need (?!to)|let(?:'|’)s (?:review|aim|hope|say))\b/i;
const NEGATED =
  /\b(?:won(?:'|’)t|will not|can(?:'|’)t|cannot|don(?:'|’)t need to|no need to|not going to|never)\b/i;
const PAST = /\b(?:already|last week|yesterday|i sent|we sent|did that|was done)\b/i;
const ACCEPT =
  /^(?:sure|yes|yep|yeah|absolutely|of course|will do|on it|no problem|definitely|ok(?:ay)?|sounds good|happy to|consider it done|can do)\b/i;

const DECISION =
  /\b(?:we(?:'|’)ve decided|we have decided|we decided|decision is|we agreed|we(?:'|’)ve agreed|it(?:'|’)s agreed|agreed[:,]|we(?:'|’)re going with|we(?:'|’)ll go with|let(?:'|’)s go with|we are going with|final decision|we(?:'|’)re moving forward with|we will move forward with|the plan is to)\b/i;
const OPEN_QUESTION =
  /\b(?:open question|tbd|to be decided|not sure (?:whether|if)|need to figure out|unclear whether|still unknown)\b/i;

const URGENT =
  /\b(?:urgent|urgently|asap|as soon as possible|immediately|right away|critical|blocker|blocking)\b/i;
const HIGH =
  /\b(?:important|high priority|top priority|priority one|first thing|before anything else|key)\b/i;
const LOW =
  /\b(?:no rush|when you (?:get|have) a (?:chance|minute)|eventually|nice to have|low priority|whenever)\b/i;

function priorityOf(sentence: string): Priority {
  if (URGENT.test(sentence)) return 'urgent';
  if (HIGH.test(sentence)) return 'high';
  if (LOW.test(sentence)) return 'low';
  return 'normal';
}

const FILLER =
  /^(?:(?:so|and|okay|ok|alright|all right|yeah|yes|right|um+|uh+|well|great|perfect|sure|cool|then|also|oh)\b[,\s]*)+/i;

/** "I'll send over the deck by Friday." → "Send over the deck by Friday". */
function taskText(sentence: string, from: RegExpExecArray | null): string {
  let text = sentence.trim();
  if (from) text = text.slice(from.index + from[0].length).trim();
  text = text
    .replace(FILLER, '')
    .replace(
      /^(?:also|just|definitely|quickly|go ahead and|try to|make sure to|make sure (?:that )?i)\s+/i,
      '',
    )
    .replace(/^(?:to|and)\s+/i, '')
    .replace(/^(?:you\s+|please\s+)+/i, '')
    .replace(/[?.!\s]+$/, '')
    .trim();
  if (text.length < 3) text = sentence.replace(/[?.!\s]+$/, '').trim();
  return (text.charAt(0).toUpperCase() + text.slice(1)).slice(0, 500);
}

function isPersonName(word: string, directory: Directory): boolean {
  if (directory.knowsFirstName(word)) return true;
  return nlp(word).people().length > 0;
}

const STOP_NAMES = new Set([
  'I',
  'We',
  'You',
  'They',
  'He',
  'She',
  'It',
  'That',
  'This',
  'There',
  'Someone',
  'Everyone',
  'Nobody',
  'Who',
  'Which',
  'What',
  'Legal',
  'Finance',
  'Engineering',
  'Marketing',
  'Sales',
  'Support',
  'Product',
  'Security',
]);

interface Candidate {
  kind: 'self' | 'we' | 'named' | 'request' | 'label' | 'team';
  match: RegExpExecArray | null;
  name?: string;
}

function classify(sentence: string, directory: Directory): Candidate | undefined {
  if (NOT_TASKS.test(sentence) && !LABEL.test(sentence)) return undefined;
  const label = LABEL.exec(sentence);
  if (label) return { kind: 'label', match: label, ...(label[1] ? { name: label[1] } : {}) };
  if (NEGATED.test(sentence) || PAST.test(sentence)) return undefined;
  const vocative = VOCATIVE_START.exec(sentence);
  if (vocative && !STOP_NAMES.has(vocative[1]!) && isPersonName(vocative[1]!, directory))
    return { kind: 'named', match: vocative, name: vocative[1]! };
  const named = NAMED.exec(sentence);
  if (named && !STOP_NAMES.has(named[1]!) && isPersonName(named[1]!, directory) && !/\?\s*$/.test(sentence))
    return { kind: 'named', match: named, name: named[1]! };
  const self = FIRST_PERSON.exec(sentence);
  if (self) return { kind: 'self', match: self };
  const team = TEAM.exec(sentence);
  if (team) return { kind: 'team', match: team };
  const request = REQUEST.exec(sentence);
  if (request) {
    const end = VOCATIVE_END.exec(sentence);
    return { kind: 'request', match: request, ...(end && !STOP_NAMES.has(end[1]!) ? { name: end[1]! } : {}) };
  }
  const we = WE.exec(sentence);
  if (we && !/\?\s*$/.test(sentence)) return { kind: 'we', match: we };
  return undefined;
}

interface Sentence {
  text: string;
  speaker: string;
  startMs: number;
  segmentIndex: number;
}

function sentences(segments: readonly Segment[]): Sentence[] {
  const out: Sentence[] = [];
  segments.forEach((segment, segmentIndex) => {
    const parts =
      segment.text.length > 2_000
        ? segment.text.split(/(?<=[.!?])\s+/)
        : sentencesOf(segment.text).map((s) => s.text);
    for (const text of parts)
      if (text.trim())
        out.push({ text: text.trim(), speaker: segment.speaker, startMs: segment.startMs, segmentIndex });
  });
  return out;
}

/** The next speaker other than `speaker` after sentence `index`, and what they said first. */
function replyTo(all: Sentence[], index: number): Sentence | undefined {
  const speaker = all[index]!.speaker;
  for (let i = index + 1; i < all.length && i < index + 6; i += 1)
    if (all[i]!.speaker !== speaker) return all[i];
  return undefined;
}

/** The one other speaker of a two-person call, if that is what this is. */
function otherSpeaker(speakers: Set<string>, speaker: string): string | undefined {
  const others = [...speakers].filter((s) => s && s !== speaker);
  return others.length === 1 ? others[0] : undefined;
}

export function extractLocal(
  segments: readonly Segment[],
  context: { startedAt: Date; directory: Directory },
): Extraction {
  const { directory } = context;
  const all = sentences(segments);
  const speakers = new Set(segments.map((s) => s.speaker));
  const actionItems: ExtractedItem[] = [];
  const decisions: ExtractedNote[] = [];
  const questions: ExtractedNote[] = [];

  const ownerFor = (
    label: string | undefined,
    what: string,
  ): Pick<ExtractedItem, 'owner' | 'ownerReason' | 'ownerHint'> => {
    if (!label) return { owner: null, ownerReason: what };
    const owner = directory.resolve(label);
    if (owner) return { owner };
    return {
      owner: null,
      ownerHint: label,
      ownerReason: `“${label}” is neither a member of this workspace nor a participant of the call`,
    };
  };

  for (let i = 0; i < all.length; i += 1) {
    const sentence = all[i]!;
    const note = { speaker: sentence.speaker, startMs: sentence.startMs, quote: sentence.text };
    if (DECISION.test(sentence.text)) {
      decisions.push({ ...note, text: taskText(sentence.text, null) });
      continue;
    }
    const candidate = classify(sentence.text, directory);
    const last = actionItems.at(-1);
    if (
      !candidate &&
      last &&
      !last.dueDate &&
      sentence.startMs - last.startMs < 30_000 &&
      // "By Wednesday, ideally." / "Get it to me by Thursday.": the date of the item just before.
      (/^(?:by|before|on|until)\b/i.test(sentence.text) ||
        /\b(?:it|that|them|those)\b/i.test(sentence.text)) &&
      sentence.text.split(/\s+/).length <= 8
    ) {
      const due = dueDateOf(sentence.text, context.startedAt);
      if (due) {
        last.dueDate = due.date;
        last.dueText = due.text;
        continue;
      }
    }
    if (!candidate) {
      if (
        (/\?\s*$/.test(sentence.text) && sentence.text.split(/\s+/).length >= 5) ||
        OPEN_QUESTION.test(sentence.text)
      )
        questions.push({ ...note, text: sentence.text.replace(FILLER, '').trim() });
      continue;
    }
    let owner: Pick<ExtractedItem, 'owner' | 'ownerReason' | 'ownerHint'>;
    switch (candidate.kind) {
      case 'self':
      case 'we':
        owner = ownerFor(sentence.speaker || undefined, 'the speaker of this line is unknown');
        break;
      case 'team':
        owner = { owner: null, ownerReason: 'a team was named, not a person: assign someone' };
        break;
      case 'named':
      case 'label':
        owner =
          candidate.name && !/^(?:me|myself)$/i.test(candidate.name)
            ? ownerFor(candidate.name, '')
            : ownerFor(sentence.speaker || undefined, 'the speaker of this line is unknown');
        break;
      case 'request': {
        const reply = replyTo(all, i);
        const accepted = reply && ACCEPT.test(reply.text.replace(/^[\s"“]+/, ''));
        const addressee =
          candidate.name ??
          (accepted ? reply.speaker : undefined) ??
          otherSpeaker(speakers, sentence.speaker);
        if (!addressee && !accepted) {
          // A request nobody took on in a group call: a question, not yet anyone's task.
          if (/\?\s*$/.test(sentence.text)) {
            questions.push({ ...note, text: sentence.text.replace(FILLER, '').trim() });
            continue;
          }
        }
        owner = ownerFor(addressee, 'the request names no one and nobody took it on');
        break;
      }
    }
    const due = dueDateOf(sentence.text, context.startedAt);
    // "Can you set up the review? It's urgent." — a short next sentence of the same speaker adds to it.
    const next = all[i + 1];
    const tail =
      next && next.segmentIndex === sentence.segmentIndex && next.text.split(/\s+/).length <= 6
        ? next.text
        : '';
    actionItems.push({
      text: taskText(
        sentence.text,
        candidate.kind === 'label' || candidate.kind === 'named' ? candidate.match : candidate.match,
      ),
      ...owner,
      dueDate: due?.date ?? null,
      dueText: due?.text ?? null,
      priority: priorityOf(`${sentence.text} ${tail}`),
      quote: sentence.text,
      speaker: sentence.speaker,
      startMs: sentence.startMs,
      self: candidate.kind === 'self' || candidate.kind === 'we',
    });
  }
  return { actionItems: mergeFollowUps(actionItems), decisions, questions };
}

/**
 * "Can you send the contract?" — "Sure, I'll do that by Friday." is one item: the reply's
 * owner and date, the request's words.
 */
function mergeFollowUps(items: ExtractedItem[]): ExtractedItem[] {
  const out: ExtractedItem[] = [];
  for (const item of items) {
    const previous = out.at(-1);
    const vague =
      /^(?:do (?:that|it|this)|that|it|this|handle (?:that|it)|on it|take care of (?:that|it))\b/i.test(
        item.text,
      );
    // The person asked answers with "I'll …it/them/that": the same task, with their date.
    const sameOwner =
      item.self === true && !!previous?.owner && !!item.owner && previous.owner.name === item.owner.name;
    const refersBack =
      ACCEPT.test(item.quote) ||
      /\b(?:it|them|that|those|this|these)\b/i.test(item.text.split(/\s+/).slice(0, 4).join(' '));
    const followUp =
      !!previous && item.startMs - previous.startMs < 60_000 && previous.speaker !== item.speaker;
    if (previous && followUp && (vague || (sameOwner && refersBack))) {
      out[out.length - 1] = {
        ...previous,
        owner: item.owner ?? previous.owner,
        ...(item.owner ? { ownerReason: undefined, ownerHint: undefined } : {}),
        dueDate: item.dueDate ?? previous.dueDate,
        dueText: item.dueText ?? previous.dueText,
        priority: item.priority !== 'normal' ? item.priority : previous.priority,
      };
      continue;
    }
    out.push(item);
  }
  return out.map((item) => {
    const clean = { ...item };
    delete clean.self;
    if (clean.ownerReason === undefined) delete clean.ownerReason;
    if (clean.ownerHint === undefined) delete clean.ownerHint;
    if (clean.ownerReason === '') delete clean.ownerReason;
    return clean;
  });
}
