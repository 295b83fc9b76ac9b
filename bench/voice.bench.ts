/**
 * Voice-to-Action quality (issue 14): on the labelled calls in bench/data/calls (labels.json), action
 * items' precision, recall and F1, owner accuracy and due-date accuracy, for the local extractor and
 * a plain keyword baseline (a line with "will|I'll|need to|action item" is an item of its speaker,
 * its date whatever chrono finds first). Reported on the held-out split, which no rule was tuned
 * on; the tuning split is shown too. Plus the time to parse and extract a 4-hour call.
 */
import { readFileSync } from 'node:fs';
import * as chrono from 'chrono-node';
import { extractLocal, type ExtractedItem } from '../api/voice/extract-local.js';
import { Directory } from '../api/voice/owners.js';
import { parseTranscript, type Segment } from '../api/voice/parse.js';
import { percentile, type Figure } from './stats.js';

interface GoldItem {
  quote: string;
  owner: string | null;
  due: string | null;
}
interface LabelledCall {
  id: string;
  file: string;
  split: 'tune' | 'heldout';
  startedAt: string;
  participants: Array<{ name: string }>;
  actionItems: GoldItem[];
}

const dir = new URL('./data/calls/', import.meta.url);
const labels = JSON.parse(readFileSync(new URL('labels.json', dir), 'utf8')) as { calls: LabelledCall[] };

type Predicted = Pick<ExtractedItem, 'quote' | 'dueDate'> & { owner: string | null };

function baseline(segments: Segment[], startedAt: Date): Predicted[] {
  return segments
    .filter((s) => /\b(?:will|i'll|need to|action item)\b/i.test(s.text))
    .map((s) => ({
      quote: s.text,
      owner: s.speaker || null,
      dueDate: chrono.parseDate(s.text, startedAt, { forwardDate: true })?.toISOString().slice(0, 10) ?? null,
    }));
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
  ownerRight: number;
  dueRight: number;
  datedGold: number;
  datedRight: number;
}

function score(
  calls: LabelledCall[],
  predict: (call: LabelledCall, segments: Segment[]) => Predicted[],
): Score {
  const total: Score = { tp: 0, fp: 0, fn: 0, ownerRight: 0, dueRight: 0, datedGold: 0, datedRight: 0 };
  for (const call of calls) {
    const { segments } = parseTranscript(readFileSync(new URL(call.file, dir), 'utf8'));
    const predicted = predict(call, segments);
    const used = new Set<number>();
    for (const gold of call.actionItems) {
      const index = predicted.findIndex(
        (p, i) => !used.has(i) && p.quote.toLowerCase().includes(gold.quote.toLowerCase()),
      );
      if (index < 0) {
        total.fn += 1;
        continue;
      }
      used.add(index);
      total.tp += 1;
      const p = predicted[index]!;
      const owner = p.owner ? (new Directory(call.participants, []).resolve(p.owner)?.name ?? p.owner) : null;
      if (owner === gold.owner) total.ownerRight += 1;
      if (p.dueDate === gold.due) total.dueRight += 1;
      if (gold.due) {
        total.datedGold += 1;
        if (p.dueDate === gold.due) total.datedRight += 1;
      }
    }
    total.fp += predicted.length - used.size;
  }
  return total;
}

function figures(label: string, s: Score, targets = false): Figure[] {
  const precision = s.tp / Math.max(1, s.tp + s.fp);
  const recall = s.tp / Math.max(1, s.tp + s.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const pct = (v: number): number => Math.round(v * 1000) / 10;
  return [
    { name: `${label}: action items precision`, value: pct(precision), unit: '%' },
    { name: `${label}: action items recall`, value: pct(recall), unit: '%' },
    { name: `${label}: action items F1`, value: pct(f1), unit: '%', ...(targets ? { target: '≥ 60' } : {}) },
    {
      name: `${label}: owner right (matched items)`,
      value: pct(s.ownerRight / Math.max(1, s.tp)),
      unit: '%',
    },
    {
      name: `${label}: due date right (matched items)`,
      value: pct(s.dueRight / Math.max(1, s.tp)),
      unit: '%',
      ...(targets ? { target: '≥ 90' } : {}),
    },
    {
      name: `${label}: due date right (items with a date)`,
      value: pct(s.datedRight / Math.max(1, s.datedGold)),
      unit: '%',
    },
  ];
}

const local = (call: LabelledCall, segments: Segment[]): Predicted[] =>
  extractLocal(segments, {
    startedAt: new Date(call.startedAt),
    directory: new Directory(call.participants, []),
  }).actionItems.map((item) => ({
    quote: item.quote,
    dueDate: item.dueDate,
    owner: item.owner?.name ?? null,
  }));

export async function benchVoice(): Promise<Figure[]> {
  const heldout = labels.calls.filter((c) => c.split === 'heldout');
  const tune = labels.calls.filter((c) => c.split === 'tune');
  const out: Figure[] = [
    {
      name: 'held-out calls / labelled action items',
      value: heldout.length,
      unit: `calls / ${heldout.reduce((n, c) => n + c.actionItems.length, 0)} items`,
    },
    ...figures('held-out, local', score(heldout, local), true),
    ...figures(
      'held-out, keyword baseline',
      score(heldout, (c, s) => baseline(s, new Date(c.startedAt))),
    ),
    ...figures('tuning split, local', score(tune, local)),
  ];
  // A 4-hour call: every labelled call's lines, repeated, as one "Speaker: text" transcript.
  const lines: string[] = [];
  for (let round = 0; lines.length < 4 * 60 * 12; round += 1)
    for (const call of labels.calls) {
      const { segments } = parseTranscript(readFileSync(new URL(call.file, dir), 'utf8'));
      for (const s of segments) lines.push(`${s.speaker || 'Speaker'}: ${s.text}`);
    }
  const text = lines.join('\n');
  const times: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    const { segments } = parseTranscript(text);
    extractLocal(segments, { startedAt: new Date(), directory: new Directory([], []) });
    times.push(performance.now() - started);
  }
  out.push({
    name: `4-hour call (${lines.length} lines, ${Math.round(text.length / 1024)} KiB): parse + local extraction p50`,
    value: Math.round(percentile(times, 50)),
    unit: 'ms',
  });
  return out;
}
