import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../engine/errors.js';
import { dueDateOf } from '../api/voice/due.js';
import { extractLocal } from '../api/voice/extract-local.js';
import { Directory } from '../api/voice/owners.js';
import { detectFormat, parseTranscript, timestampMs } from '../api/voice/parse.js';

/** The transcript parsers, due dates and the local extractor, without a server. */

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('transcript formats', () => {
  it('detects WebVTT, SRT, JSON and plain lines, and reads timestamps in every spelling', () => {
    expect(detectFormat('\uFEFFWEBVTT\n\n')).toBe('vtt');
    expect(detectFormat('1\n00:00:01,000 --> 00:00:02,000\nhi')).toBe('srt');
    expect(detectFormat('[{"text":"hi","start":0}]')).toBe('json');
    expect(detectFormat('[00:01] Maria: hi')).toBe('lines');
    expect(detectFormat('Maria: hi')).toBe('lines');
    expect(timestampMs('01:02:03.456')).toBe(3_723_456);
    expect(timestampMs('02:03,5')).toBe(123_500);
    expect(timestampMs('1:2:3')).toBeUndefined();
  });

  it('reads speakers from <v> tags, "Name:" prefixes and [Name] brackets, and skips NOTE blocks', () => {
    const { segments } = parseTranscript(
      'WEBVTT\nKind: captions\n\nNOTE a note\n\ncue-1\n00:01.000 --> 00:02.000 align:start\n<v.loud Maria Lopez>Hello <b>there</b></v>\n\n00:03.000 --> 00:04.000\nTOM: Hi\n\n00:05.000 --> 00:06.000\n[Priya] Morning\n',
    );
    expect(segments).toEqual([
      { speaker: 'Maria Lopez', startMs: 1000, endMs: 2000, text: 'Hello there' },
      { speaker: 'TOM', startMs: 3000, endMs: 4000, text: 'Hi' },
      { speaker: 'Priya', startMs: 5000, endMs: 6000, text: 'Morning' },
    ]);
  });

  it('reads plain lines with and without timestamps, continuing a speaker’s turn on unlabelled lines', () => {
    const stamped = parseTranscript(
      '[00:00:05] Ana: Hello.\nMore from Ana.\n(00:10) Bo: Hi.\nCarl (00:15): Hey.',
    ).segments;
    expect(stamped).toEqual([
      { speaker: 'Ana', startMs: 5000, endMs: null, text: 'Hello. More from Ana.' },
      { speaker: 'Bo', startMs: 10_000, endMs: null, text: 'Hi.' },
      { speaker: 'Carl', startMs: 15_000, endMs: null, text: 'Hey.' },
    ]);
    const plain = parseTranscript('Ana: one two three four five\nBo: ok').segments;
    expect(plain[1]!.startMs).toBe(2000); // ~150 words a minute
  });

  it('reads JSON segments (seconds or timestamps, Whisper’s { segments } too)', () => {
    const { segments, format } = parseTranscript(
      JSON.stringify({
        segments: [
          { speaker: 'A', start: 1.25, end: '00:00:03', text: ' hi ' },
          { name: 'B', startMs: 4000, text: 'yo' },
        ],
      }),
    );
    expect(format).toBe('json');
    expect(segments).toEqual([
      { speaker: 'A', startMs: 1250, endMs: 3000, text: 'hi' },
      { speaker: 'B', startMs: 4000, endMs: null, text: 'yo' },
    ]);
  });

  it('names the line or the path of what is wrong', () => {
    expect(failure(() => parseTranscript('WEBVTT\n\n00:01.000 --> 00:00.500\nbackwards')).message).toBe(
      'line 3: the cue ends before it starts',
    );
    expect(failure(() => parseTranscript('not vtt', 'vtt')).message).toMatch(
      /^line 1: a WebVTT file starts with "WEBVTT"/,
    );
    expect(
      failure(() =>
        parseTranscript('1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 -> 00:00:04,000\nbad'),
      ).message,
    ).toMatch(/^line 6: /);
    expect(failure(() => parseTranscript('{"segments": [1]}')).message).toBe(
      'segments[0]: must be an object',
    );
    expect(failure(() => parseTranscript('[{"text": 1, "start": 0}]')).message).toBe(
      'segments[0].text: must be a string',
    );
    expect(failure(() => parseTranscript('{"segments": [ }')).message).toMatch(/^line 1: not valid JSON/);
    expect(failure(() => parseTranscript('A: ok\nB: \u0000')).message).toMatch(/^line 2: holds the NUL/);
    expect(failure(() => parseTranscript('A: ok\nB: \udc00')).message).toMatch(
      /^line 2: is not valid Unicode/,
    );
    const tooBig = failure(() => parseTranscript('A: x'.padEnd(8_000_001, 'x')));
    expect(tooBig.kind).toBe('too_large');
  });
});

describe('due dates relative to the call', () => {
  // A Wednesday afternoon.
  const start = new Date('2026-03-04T15:00:00Z');
  const cases: Array<[string, string | undefined]> = [
    ['by Friday', '2026-03-06'],
    ['tomorrow', '2026-03-05'],
    ['next week', '2026-03-09'],
    ['next Tuesday', '2026-03-10'],
    ['by end of month', '2026-03-31'],
    ['by the end of the week', '2026-03-06'],
    ['end of quarter', '2026-03-31'],
    ['in two weeks', '2026-03-18'],
    ['by the 15th', '2026-03-15'],
    ['by the 2nd', '2026-04-02'],
    ['by March 20', '2026-03-20'],
    ['EOD', '2026-03-04'],
    ['this afternoon', '2026-03-04'],
    ['at 3', undefined],
    ['give me a minute', undefined],
  ];
  it.each(cases)('"%s" → %s', (phrase, expected) => {
    expect(dueDateOf(`I will do it ${phrase}.`, start)?.date).toBe(expected);
  });
});

describe('the local extractor', () => {
  const directory = new Directory(
    [
      { name: 'Maria Lopez' },
      { name: 'Tom Becker', email: 'tom@acme.test', speaker: 'Speaker 2' },
      { name: 'Priya Shah' },
    ],
    [{ userId: '00000000-0000-4000-8000-000000000001', name: 'Tom Becker', email: 'tom@acme.test' }],
  );
  const run = (lines: string) =>
    extractLocal(parseTranscript(lines).segments, { startedAt: new Date('2026-03-04T15:00:00Z'), directory });

  it('owns "I\'ll" by the speaker (through a speaker alias to a member), "Maria will" by Maria, requests by the addressee', () => {
    const { actionItems } = run(
      "Speaker 2: I'll send the deck by Friday.\nMaria Lopez: Priya will review the contract tomorrow.\nMaria Lopez: Tom, could you book the room?\nSpeaker 2: Sure.",
    );
    expect(actionItems.map((i) => [i.text, i.owner?.name ?? null, i.dueDate])).toEqual([
      ['Send the deck by Friday', 'Tom Becker', '2026-03-06'],
      ['Review the contract tomorrow', 'Priya Shah', '2026-03-05'],
      ['Book the room', 'Tom Becker', null],
    ]);
    expect(actionItems[0]!.owner).toMatchObject({ userId: '00000000-0000-4000-8000-000000000001' });
  });

  it('leaves unknown people, teams and unanswered group requests unassigned with a reason', () => {
    const { actionItems, questions } = run(
      'Maria Lopez: Jessica will send the invoice.\nTom Becker: Our legal team will send the DPA.\nPriya Shah: Can anyone share the slides with the group?\nTom Becker: Maybe later.',
    );
    expect(actionItems[0]).toMatchObject({ owner: null, ownerHint: 'Jessica' });
    expect(actionItems[0]!.ownerReason).toContain('Jessica');
    expect(actionItems[1]).toMatchObject({ owner: null, ownerReason: expect.stringContaining('team') });
    expect(questions.map((q) => q.quote)).toContain('Can anyone share the slides with the group?');
  });

  it('skips ways of speaking, past and refused work; finds decisions, questions and priority', () => {
    const { actionItems, decisions, questions } = run(
      "Maria Lopez: I'll be honest, it was rough. We sent the contract last week. I won't be able to join.\nTom Becker: We agreed to go with the annual plan.\nPriya Shah: Does the API support SSO with Okta?\nMaria Lopez: I need to fix the login bug asap.\nTom Becker: I'll update the wiki, no rush.",
    );
    expect(actionItems.map((i) => [i.text, i.priority])).toEqual([
      ['Fix the login bug asap', 'urgent'],
      ['Update the wiki, no rush', 'low'],
    ]);
    expect(decisions.map((d) => d.quote)).toEqual(['We agreed to go with the annual plan.']);
    expect(questions.map((q) => q.quote)).toEqual(['Does the API support SSO with Okta?']);
  });

  it('meets the bar on the held-out labelled calls (F1 ≥ 0.6, owners ≥ 0.8)', () => {
    const dir = new URL('../bench/data/calls/', import.meta.url);
    const { calls } = JSON.parse(readFileSync(new URL('labels.json', dir), 'utf8')) as {
      calls: Array<{
        file: string;
        split: string;
        startedAt: string;
        participants: Array<{ name: string }>;
        actionItems: Array<{ quote: string; owner: string | null }>;
      }>;
    };
    const heldout = calls.filter((c) => c.split === 'heldout');
    expect(heldout.length).toBeGreaterThanOrEqual(10);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let owners = 0;
    for (const call of heldout) {
      const items = extractLocal(parseTranscript(readFileSync(new URL(call.file, dir), 'utf8')).segments, {
        startedAt: new Date(call.startedAt),
        directory: new Directory(call.participants, []),
      }).actionItems;
      const used = new Set<number>();
      for (const gold of call.actionItems) {
        const i = items.findIndex(
          (p, k) => !used.has(k) && p.quote.toLowerCase().includes(gold.quote.toLowerCase()),
        );
        if (i < 0) fn += 1;
        else {
          used.add(i);
          tp += 1;
          if ((items[i]!.owner?.name ?? null) === gold.owner) owners += 1;
        }
      }
      fp += items.length - used.size;
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    expect((2 * precision * recall) / (precision + recall)).toBeGreaterThanOrEqual(0.6);
    expect(owners / tp).toBeGreaterThanOrEqual(0.8);
  });
});
