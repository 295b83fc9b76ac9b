import { readFileSync } from 'node:fs';
import { extract, turnsFromText, type ObjectionCategory } from '../api/knowledge/extract.js';
import type { Figure } from './stats.js';

/**
 * Knowledge Fusion extraction quality on hand-labelled transcripts: a dev set the rules were tuned
 * on once (bench/data/knowledge-dev.json, optimistic) and a held-out set written after that tuning
 * and never used to change the rules (bench/data/knowledge-heldout.json):
 * objection precision / recall / F1 and category accuracy, and competitor-name precision / recall
 * (no competitor list given: detection only), for the local provider against a plain keyword
 * baseline. Small sets (12 + 8 transcripts): read the figures as a sanity check, not a leaderboard.
 */

interface Labelled {
  id: string;
  text: string;
  objections: Array<{ text: string; category: ObjectionCategory }>;
  competitors: string[];
}

const baselineKeywords: Array<[string, ObjectionCategory]> = [
  ['price', 'price'],
  ['cost', 'price'],
  ['budget', 'price'],
  ['expensive', 'price'],
  ['afford', 'price'],
  ['security', 'security'],
  ['contract', 'status_quo'],
  ['integrat', 'integration'],
  ['complicated', 'integration'],
  ['priority', 'timing'],
  ['concern', 'need'],
  ['not sure', 'need'],
  ['sign off', 'authority'],
  ['approve', 'authority'],
];
const stop = new Set([
  'I',
  'We',
  'You',
  'The',
  'Yes',
  'No',
  'Okay',
  'Hi',
  'Hello',
  'Thanks',
  'Sure',
  'But',
  'And',
  'So',
  'A',
]);

function sentences(text: string): Array<{ speaker: string; sentence: string }> {
  return turnsFromText(text).flatMap((turn) =>
    turn.text
      .split(/(?<=[.?!])\s+/)
      .filter(Boolean)
      .map((sentence) => ({ speaker: turn.speaker, sentence })),
  );
}

function baseline(text: string): {
  objections: Array<{ quote: string; category: ObjectionCategory }>;
  names: string[];
} {
  const objections: Array<{ quote: string; category: ObjectionCategory }> = [];
  const names = new Set<string>();
  for (const { sentence } of sentences(text)) {
    const lower = sentence.toLowerCase();
    const hit = baselineKeywords.find(([word]) => lower.includes(word));
    if (hit) objections.push({ quote: sentence, category: hit[1] });
    const words = sentence.split(/\s+/).slice(1);
    for (const word of words) {
      const clean = word.replace(/[^\p{L}\p{N}.]+$/u, '').replace(/\.$/, '');
      if (/^\p{Lu}/u.test(clean) && !stop.has(clean)) names.add(clean);
    }
  }
  return { objections, names: [...names] };
}

const norm = (text: string): string => text.toLowerCase().replace(/[’']/g, "'").replace(/\s+/g, ' ');

interface Score {
  tp: number;
  fp: number;
  fn: number;
  categoryRight: number;
}

function scoreObjections(
  labels: Labelled['objections'],
  predicted: Array<{ quote: string; category: ObjectionCategory }>,
  score: Score,
): void {
  const used = new Set<number>();
  for (const p of predicted) {
    const index = labels.findIndex((l, i) => !used.has(i) && norm(p.quote).includes(norm(l.text)));
    if (index < 0) {
      score.fp += 1;
      continue;
    }
    used.add(index);
    score.tp += 1;
    if (labels[index]!.category === p.category) score.categoryRight += 1;
  }
  score.fn += labels.length - used.size;
}

function scoreNames(labels: string[], predicted: string[], score: Score): void {
  const want = new Set(labels.map((l) => l.toLowerCase()));
  const got = new Set(predicted.map((p) => p.toLowerCase()));
  for (const name of got)
    if (want.has(name)) score.tp += 1;
    else score.fp += 1;
  for (const name of want) if (!got.has(name)) score.fn += 1;
}

const prf = (s: Score): { p: number; r: number; f1: number } => {
  const p = s.tp / Math.max(1, s.tp + s.fp);
  const r = s.tp / Math.max(1, s.tp + s.fn);
  return { p, r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
};

export function knowledgeQuality(): Figure[] {
  return [...qualityOn('dev', 'knowledge-dev.json'), ...qualityOn('held-out', 'knowledge-heldout.json')];
}

function qualityOn(set: string, file: string): Figure[] {
  const data = JSON.parse(readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8')) as {
    transcripts: Labelled[];
  };
  const empty = (): Score => ({ tp: 0, fp: 0, fn: 0, categoryRight: 0 });
  const local = { objections: empty(), names: empty() };
  const base = { objections: empty(), names: empty() };
  for (const t of data.transcripts) {
    const found = extract({ type: 'text', ref: t.id, label: t.id, turns: turnsFromText(t.text) }, []);
    scoreObjections(
      t.objections,
      found.objections.map((o) => ({ quote: o.quote, category: o.category })),
      local.objections,
    );
    scoreNames(t.competitors, [...new Set(found.mentions.map((m) => m.name))], local.names);
    const b = baseline(t.text);
    scoreObjections(t.objections, b.objections, base.objections);
    scoreNames(t.competitors, b.names, base.names);
  }
  const figures: Figure[] = [];
  for (const [who, scores] of [
    ['local', local],
    ['keyword baseline', base],
  ] as const) {
    const o = prf(scores.objections);
    const n = prf(scores.names);
    figures.push(
      {
        name: `objections F1 — ${who} (P ${o.p.toFixed(2)}, R ${o.r.toFixed(2)}; ${data.transcripts.length} ${set} transcripts)`,
        value: o.f1,
        unit: '',
      },
      {
        name: `objection category right when found — ${who}, ${set}`,
        value: scores.objections.categoryRight / Math.max(1, scores.objections.tp),
        unit: '',
      },
      {
        name: `competitor names F1 — ${who}, ${set} (P ${n.p.toFixed(2)}, R ${n.r.toFixed(2)}; no list given)`,
        value: n.f1,
        unit: '',
      },
    );
  }
  return figures;
}
