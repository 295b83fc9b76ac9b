import { DomainError } from '../../engine/errors.js';

/**
 * Transcript parsers: WebVTT, SRT, "Speaker: text" lines and JSON segments, each into the
 * segments the `call_segments` table holds. A malformed file is refused with the line (or JSON
 * path) at fault, so a person can fix it; nothing here throws anything but a DomainError.
 */

export type TranscriptFormat = 'vtt' | 'srt' | 'lines' | 'json';

export interface Segment {
  speaker: string;
  startMs: number;
  endMs: number | null;
  text: string;
}

/** A 4-hour call is ~40,000 words (~1 MB as VTT); these bounds leave room and stop abuse. */
export const TRANSCRIPT_LIMITS = {
  maxChars: 8_000_000,
  maxSegments: 50_000,
  maxSegmentChars: 20_000,
  maxSpeakerChars: 200,
} as const;

// Time a plain-lines transcript without timestamps is spread over: ~150 words a minute.
const MS_PER_WORD = 400;

function bad(line: number | string, message: string): DomainError {
  const where = typeof line === 'number' ? `line ${line}` : line;
  return new DomainError('invalid', 'transcript_malformed', `${where}: ${message}`, 'transcript', {
    ...(typeof line === 'number' ? { line } : { path: line }),
  });
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuse text Postgres cannot store (NUL) or that is not valid Unicode, naming the line. */
function assertStorable(text: string): void {
  if (!text.includes('\u0000') && !loneSurrogate.test(text)) return;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.includes('\u0000')) throw bad(i + 1, 'holds the NUL character (\\u0000)');
    if (loneSurrogate.test(line)) throw bad(i + 1, 'is not valid Unicode (a lone surrogate such as \\ud800)');
  }
}

/** Guess the format from the first meaningful characters. */
export function detectFormat(text: string): TranscriptFormat {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (/^WEBVTT\b/.test(head)) return 'vtt';
  if (head.startsWith('[') || head.startsWith('{')) {
    // "[00:01] Maria: hi" is lines with a timestamp, not JSON.
    if (!/^\[\s*\d{1,2}:\d{2}/.test(head)) return 'json';
  }
  const firstLines = head.split(/\r?\n/, 3);
  if (/^\d+\s*$/.test(firstLines[0] ?? '') && /-->/.test(firstLines[1] ?? '')) return 'srt';
  if (/-->/.test(firstLines[0] ?? '')) return 'srt';
  return 'lines';
}

/** `01:02:03.456`, `02:03.456`, `01:02:03,456` → ms; undefined when it is not a timestamp. */
export function timestampMs(value: string): number | undefined {
  const match = /^(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, h = '0', m = '0', s = '0', frac = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(frac.padEnd(3, '0'));
}

/** "Maria: text" → { speaker: 'Maria', text }; a speaker is a short name, not a sentence with a colon. */
function splitSpeaker(text: string): { speaker: string; text: string } | undefined {
  const match = /^([\p{L}][\p{L}\p{M}\p{N}_'’.\- ]{0,60}?(?:\s*\([^)]{0,60}\))?)\s*:\s+(.*)$/u.exec(text);
  if (!match) return undefined;
  const speaker = match[1]!.trim();
  if (speaker.split(/\s+/).length > 4) return undefined;
  return { speaker, text: match[2]! };
}

function cleanCueText(raw: string): { speaker: string; text: string } {
  let speaker = '';
  const voice = /<v(?:\.[^\s>]+)*\s+([^>]+)>/.exec(raw);
  if (voice) speaker = voice[1]!.trim();
  let text = raw
    .replace(/<[^>]*>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
  text = text.replace(/\s+/g, ' ').trim();
  if (!speaker) {
    const bracket = /^\[([^\]]{1,60})\]\s*(.*)$/.exec(text);
    const split = bracket ? { speaker: bracket[1]!.trim(), text: bracket[2]! } : splitSpeaker(text);
    if (split) return split;
  }
  return { speaker, text };
}

function cues(text: string, format: 'vtt' | 'srt'): Segment[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const segments: Segment[] = [];
  let i = 0;
  if (format === 'vtt') {
    if (!/^WEBVTT\b/.test(lines[0] ?? '')) throw bad(1, 'a WebVTT file starts with "WEBVTT"');
    i = 1;
    while (i < lines.length && lines[i]!.trim() !== '') i += 1; // header lines
  }
  while (i < lines.length) {
    while (i < lines.length && lines[i]!.trim() === '') i += 1;
    if (i >= lines.length) break;
    const blockStart = i;
    if (format === 'vtt' && /^(NOTE|STYLE|REGION)\b/.test(lines[i]!)) {
      while (i < lines.length && lines[i]!.trim() !== '') i += 1;
      continue;
    }
    // An optional cue identifier (VTT) or the cue number (SRT) before the timing line.
    if (!lines[i]!.includes('-->')) {
      if (format === 'srt' && !/^\d+\s*$/.test(lines[i]!))
        throw bad(
          i + 1,
          `expected a cue number or a timing line ("00:00:01,000 --> 00:00:04,000"), found "${lines[i]!.slice(0, 60)}"`,
        );
      i += 1;
    }
    const timing = lines[i];
    if (timing === undefined || !timing.includes('-->'))
      throw bad(i + 1, 'expected a timing line such as "00:00:01.000 --> 00:00:04.000"');
    const [from = '', rest = ''] = timing.split('-->');
    const startMs = timestampMs(from);
    const endMs = timestampMs(rest.trim().split(/\s+/)[0] ?? '');
    if (startMs === undefined)
      throw bad(i + 1, `"${from.trim().slice(0, 40)}" is not a timestamp (hh:mm:ss.mmm)`);
    if (endMs === undefined)
      throw bad(i + 1, `"${rest.trim().slice(0, 40)}" is not a timestamp (hh:mm:ss.mmm)`);
    if (endMs < startMs) throw bad(i + 1, 'the cue ends before it starts');
    i += 1;
    const body: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') body.push(lines[i++]!);
    const cue = cleanCueText(body.join('\n'));
    if (cue.text === '') continue;
    if (cue.text.length > TRANSCRIPT_LIMITS.maxSegmentChars)
      throw bad(blockStart + 1, `a cue holds more than ${TRANSCRIPT_LIMITS.maxSegmentChars} characters`);
    segments.push({ speaker: cue.speaker, startMs, endMs, text: cue.text });
  }
  return segments;
}

const linePrefix = /^(?:\[?\(?((?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\)?\]?\s*[-–]?\s*)?(.*)$/;
const speakerThenTime =
  /^([\p{L}][\p{L}\p{M}\p{N}_'’.\- ]{0,60}?)\s*[([]((?:\d{1,3}:)?\d{1,2}:\d{2})[)\]]\s*:\s*(.*)$/u;

function plainLines(text: string): Segment[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const segments: Segment[] = [];
  let clockMs = 0;
  let anyTimestamp = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let startMs: number | undefined;
    let speaker: string | undefined;
    let body: string;
    const st = speakerThenTime.exec(line);
    if (st) {
      speaker = st[1]!.trim();
      startMs = timestampMs(st[2]!);
      body = st[3]!;
    } else {
      const prefixed = linePrefix.exec(line)!;
      if (prefixed[1]) startMs = timestampMs(prefixed[1]);
      const split = splitSpeaker(prefixed[2]!);
      speaker = split?.speaker;
      body = split ? split.text : prefixed[2]!;
    }
    if (startMs !== undefined) anyTimestamp = true;
    if (speaker === undefined) {
      const previous = segments.at(-1);
      if (!previous)
        throw bad(i + 1, 'expected "Speaker: text" (the first line of a plain transcript names its speaker)');
      previous.text = `${previous.text} ${body}`.trim();
      clockMs += body.split(/\s+/).length * MS_PER_WORD;
      continue;
    }
    if (startMs === undefined) startMs = anyTimestamp ? (segments.at(-1)?.startMs ?? 0) : clockMs;
    if (body.length > TRANSCRIPT_LIMITS.maxSegmentChars)
      throw bad(i + 1, `a line holds more than ${TRANSCRIPT_LIMITS.maxSegmentChars} characters`);
    segments.push({ speaker, startMs, endMs: null, text: body.trim() });
    clockMs = startMs + body.split(/\s+/).length * MS_PER_WORD;
  }
  return segments.filter((segment) => segment.text !== '');
}

function seconds(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1e7)
    return Math.round(value * 1000);
  if (typeof value === 'string') {
    const ms = timestampMs(value);
    if (ms !== undefined) return ms;
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n) && n >= 0 && n < 1e7) return Math.round(n * 1000);
  }
  throw bad(path, 'must be seconds (a number) or a timestamp such as "00:01:02.5"');
}

/** JSON segments: `[{ speaker, start, end, text }]` or `{ segments: [...] }` (Whisper's shape too). */
function jsonSegments(text: string): Segment[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : 1;
    throw bad(line, `not valid JSON (${message.slice(0, 120)})`);
  }
  const list = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && Array.isArray((value as { segments?: unknown }).segments)
      ? (value as { segments: unknown[] }).segments
      : undefined;
  if (!list) throw bad('segments', 'expected an array of segments or an object with "segments"');
  return list.map((entry, index): Segment => {
    const path = `segments[${index}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw bad(path, 'must be an object');
    const item = entry as Record<string, unknown>;
    const body = item.text;
    if (typeof body !== 'string') throw bad(`${path}.text`, 'must be a string');
    const speaker = item.speaker ?? item.name ?? '';
    if (typeof speaker !== 'string') throw bad(`${path}.speaker`, 'must be a string');
    const startMs =
      typeof item.startMs === 'number' ? Math.round(item.startMs) : seconds(item.start, `${path}.start`);
    if (startMs === undefined || startMs < 0)
      throw bad(`${path}.start`, 'is required (seconds from the start of the call)');
    const endMs =
      typeof item.endMs === 'number' ? Math.round(item.endMs) : (seconds(item.end, `${path}.end`) ?? null);
    if (endMs !== null && endMs < startMs) throw bad(`${path}.end`, 'is before start');
    if (body.length > TRANSCRIPT_LIMITS.maxSegmentChars)
      throw bad(`${path}.text`, `holds more than ${TRANSCRIPT_LIMITS.maxSegmentChars} characters`);
    return { speaker: speaker.trim(), startMs, endMs, text: body.replace(/\s+/g, ' ').trim() };
  });
}

/** Parse a transcript (format given or detected); at least one segment, within the limits. */
export function parseTranscript(
  text: string,
  format: TranscriptFormat | 'auto' = 'auto',
): { format: TranscriptFormat; segments: Segment[] } {
  if (text.length > TRANSCRIPT_LIMITS.maxChars)
    throw new DomainError(
      'too_large',
      'transcript_too_large',
      `The transcript holds more than ${TRANSCRIPT_LIMITS.maxChars} characters`,
      'transcript',
    );
  assertStorable(text);
  if (text.trim() === '') throw bad(1, 'the transcript is empty');
  const chosen = format === 'auto' ? detectFormat(text) : format;
  const parsed =
    chosen === 'vtt' || chosen === 'srt'
      ? cues(text, chosen)
      : chosen === 'json'
        ? jsonSegments(text)
        : plainLines(text);
  const segments = parsed.filter((segment) => segment.text !== '');
  if (segments.length === 0) throw bad(1, 'the transcript holds no spoken text');
  if (segments.length > TRANSCRIPT_LIMITS.maxSegments)
    throw new DomainError(
      'too_large',
      'transcript_too_large',
      `The transcript holds more than ${TRANSCRIPT_LIMITS.maxSegments} segments`,
      'transcript',
    );
  for (const segment of segments)
    segment.speaker = segment.speaker.slice(0, TRANSCRIPT_LIMITS.maxSpeakerChars);
  return { format: chosen, segments };
}

/** ms → "mm:ss" or "h:mm:ss", as the page and task descriptions show it. */
export function clock(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
