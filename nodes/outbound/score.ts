import type { Json } from '../../engine/json.js';
import type { Lead, LeadScore, ScoreFactor } from './service.js';

/**
 * The lead score (issue 13): an online logistic regression learned one outcome at a time
 * (replied, meeting, won = 1; no reply = 0) with FTRL-proximal per-coordinate steps (McMahan et
 * al., "Ad Click Prediction: a View from the Trenches", 2013): rare features take big steps, common
 * ones small, and the L2 term pulls every weight towards its cold-start prior rather than zero.
 * Features: every attribute as `name=value` (strings); for numbers, a running standardised value,
 * a half-standard-deviation bin and the exact value as a category (`name@value`) — so codes such as
 * "999: never contacted" and stepwise indicators (rates, head counts) get a weight of their own.
 * The score is 100·σ(w·x) without the intercept: 50 is an average lead, higher fits better, so
 * the number stays readable however rare replies are. A cold model starts from a small prior
 * (seniority, a company domain rather than a free-mail address) instead of zero.
 * Hyper-parameters are the paper's usual ones (α 0.1, β 1, λ2 1), not fitted to the benchmark.
 */

export interface ScoreModelState {
  bias: number;
  biasG: number;
  /** Weights (AdaGrad / plain SGD) — or, under FTRL, the derived weights, kept for readers. */
  w: Record<string, number>;
  /** Summed squared gradients (AdaGrad and FTRL's n). */
  g: Record<string, number>;
  /** FTRL's z per feature ('' is the intercept). */
  z: Record<string, number>;
  /** Running [count, mean, M2] of numeric features, for standardising. */
  stats: Record<string, [number, number, number]>;
}

export interface ScoreOptions {
  learningRate: number;
  l2: number;
  /** Features beyond this many are not learned (the model row stays small). */
  maxFeatures: number;
  /** Use binned numeric features (z-score bins and small-integer codes). */
  buckets: boolean;
  /** Also one-hot the exact value of a numeric feature (`name@value`). */
  exactValues: boolean;
  /** 'sgd': a fixed step (a plain online logistic regression); 'adagrad'; 'ftrl': FTRL-proximal. */
  optimizer: 'sgd' | 'adagrad' | 'ftrl';
  /** FTRL's β and L1 (its α is `learningRate`, its L2 is `l2`). */
  beta: number;
  l1: number;
  prior: boolean;
}

export const DEFAULT_SCORE: ScoreOptions = {
  learningRate: 0.1,
  l2: 1,
  maxFeatures: 5000,
  buckets: true,
  exactValues: true,
  optimizer: 'ftrl',
  beta: 1,
  l1: 0,
  prior: true,
};

/** The previous model (AdaGrad, binned numerics), kept for the benchmark's comparison. */
export const ADAGRAD_SCORE: ScoreOptions = {
  learningRate: 0.05,
  l2: 1e-3,
  maxFeatures: 5000,
  buckets: true,
  exactValues: false,
  optimizer: 'adagrad',
  beta: 1,
  l1: 0,
  prior: true,
};

/** What a plain online logistic regression is, for the benchmark's comparison. */
export const PLAIN_SCORE: ScoreOptions = {
  learningRate: 0.05,
  l2: 0,
  maxFeatures: 5000,
  buckets: false,
  exactValues: false,
  optimizer: 'sgd',
  beta: 1,
  l1: 0,
  prior: false,
};

export type RawRecord = Record<string, string | number | boolean | null | undefined>;

const FREE_MAIL = new Set([
  'gmail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'aol.com',
  'icloud.com',
  'gmx.de',
  'proton.me',
  'protonmail.com',
  'mail.ru',
  'yandex.ru',
  'web.de',
]);

/** The cold-start prior: what a RevOps team would guess before any reply. */
const PRIOR: Record<string, number> = {
  'seniority=c-level': 0.8,
  'seniority=vp': 0.6,
  'seniority=director': 0.4,
  'seniority=manager': 0.15,
  'seniority=individual': -0.1,
  'email=free-mail': -0.6,
  'company=yes': 0.2,
  'company=no': -0.2,
};

export function emptyModel(): ScoreModelState {
  return { bias: 0, biasG: 0, w: {}, g: {}, z: {}, stats: {} };
}

export function seniorityOf(title: string): string {
  const t = title.toLowerCase();
  if (/\b(ceo|cto|cfo|coo|cmo|cro|chief|founder|owner|president)\b/.test(t)) return 'c-level';
  if (/\b(vp|vice president|svp|evp|head of)\b/.test(t)) return 'vp';
  if (/\bdirector\b/.test(t)) return 'director';
  if (/\b(manager|lead)\b/.test(t)) return 'manager';
  return 'individual';
}

/** A lead as the model's raw record: its fields, derived facts and custom attributes. */
export function leadRecord(
  lead: Pick<Lead, 'email' | 'title' | 'company' | 'country' | 'source' | 'attributes'>,
): RawRecord {
  const domain = lead.email.split('@')[1]?.toLowerCase() ?? '';
  const record: RawRecord = {
    email: FREE_MAIL.has(domain) ? 'free-mail' : 'company',
    tld: domain.split('.').pop() ?? '',
    company: lead.company ? 'yes' : 'no',
    seniority: lead.title ? seniorityOf(lead.title) : 'unknown',
    country: lead.country ?? '',
    source: lead.source ?? '',
  };
  for (const [key, value] of Object.entries(lead.attributes)) {
    if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      value === null
    )
      record[`attr.${key}`] = value;
  }
  return record;
}

/** Sparse features of a record (numeric standardisation uses, and may update, the model's stats). */
export function featuresOf(
  record: RawRecord,
  model: ScoreModelState,
  options: ScoreOptions,
  learn: boolean,
): Map<string, number> {
  const features = new Map<string, number>();
  for (const [key, raw] of Object.entries(record)) {
    if (raw === null || raw === undefined || raw === '') continue;
    const numeric =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim())
          ? Number(raw)
          : undefined;
    if (numeric !== undefined && Number.isFinite(numeric)) {
      const stat = model.stats[key] ?? [0, 0, 0];
      if (learn) {
        const [n, mean, m2] = stat;
        const delta = numeric - mean;
        const nextMean = mean + delta / (n + 1);
        model.stats[key] = [n + 1, nextMean, m2 + delta * (numeric - nextMean)];
      }
      const [n, mean, m2] = model.stats[key] ?? stat;
      const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
      const z = sd > 0 ? Math.max(-5, Math.min(5, (numeric - mean) / sd)) : 0;
      if (sd > 0) features.set(`${key}`, z);
      if (options.buckets) {
        // Half-standard-deviation bins: a linear model then sees thresholds and sweet spots.
        features.set(`${key}~${Math.round(z * 2)}`, 1);
        // Small integers are often codes ("999: never contacted", "0 previous contacts").
        if (!options.exactValues && Number.isInteger(numeric) && (Math.abs(numeric) <= 10 || numeric === 999))
          features.set(`${key}#${numeric}`, 1);
      }
      if (options.exactValues) features.set(`${key}@${numeric}`, 1);
      continue;
    }
    const text = String(raw).trim().toLowerCase().slice(0, 60);
    if (text) features.set(`${key}=${text}`, 1);
  }
  return features;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-Math.max(-35, Math.min(35, z))));

function weightOf(model: ScoreModelState, feature: string, options: ScoreOptions): number {
  const prior = options.prior ? (PRIOR[feature] ?? 0) : 0;
  if (options.optimizer === 'ftrl') return prior + ftrlWeight(model, feature, options);
  return model.w[feature] ?? prior;
}

/** FTRL-proximal's closed-form weight from z and n (the offset from the prior). */
function ftrlWeight(model: ScoreModelState, feature: string, options: ScoreOptions): number {
  const z = model.z[feature] ?? 0;
  if (Math.abs(z) <= options.l1) return 0;
  const n = model.g[feature] ?? 0;
  return (
    -(z - Math.sign(z) * options.l1) / ((options.beta + Math.sqrt(n)) / options.learningRate + options.l2)
  );
}

/** Probability of a positive outcome (with the intercept). */
export function predict(
  model: ScoreModelState,
  features: Map<string, number>,
  options: ScoreOptions,
): number {
  let z = model.bias;
  for (const [feature, value] of features) z += weightOf(model, feature, options) * value;
  return sigmoid(z);
}

/** One test-then-train step's training half: a logistic loss gradient step. */
export function update(
  model: ScoreModelState,
  features: Map<string, number>,
  label: 0 | 1,
  options: ScoreOptions,
): void {
  const error = predict(model, features, options) - label;
  if (options.optimizer === 'ftrl') {
    ftrlStep(model, '', error, options);
    model.bias = ftrlWeight(model, '', options);
    let size = Object.keys(model.z).length;
    for (const [feature, value] of features) {
      if (!(feature in model.z) && size++ > options.maxFeatures) continue;
      ftrlStep(model, feature, error * value, options);
      model.w[feature] = weightOf(model, feature, options);
    }
    return;
  }
  const step = (accumulated: number): number =>
    options.optimizer === 'adagrad'
      ? options.learningRate / Math.sqrt(1e-6 + accumulated)
      : options.learningRate;
  model.biasG += error * error;
  model.bias -= step(model.biasG) * error;
  for (const [feature, value] of features) {
    const known = feature in model.w;
    if (!known && Object.keys(model.w).length >= options.maxFeatures) continue;
    const w = weightOf(model, feature, options);
    const gradient = error * value + options.l2 * w;
    const g = (model.g[feature] ?? 0) + gradient * gradient;
    model.g[feature] = g;
    model.w[feature] = w - step(g) * gradient;
  }
}

function ftrlStep(model: ScoreModelState, feature: string, gradient: number, options: ScoreOptions): void {
  const n = model.g[feature] ?? 0;
  const sigma = (Math.sqrt(n + gradient * gradient) - Math.sqrt(n)) / options.learningRate;
  model.z[feature] = (model.z[feature] ?? 0) + gradient - sigma * ftrlWeight(model, feature, options);
  model.g[feature] = n + gradient * gradient;
}

export function scoreOf(
  model: ScoreModelState,
  record: RawRecord,
  examples: number,
  options: ScoreOptions = DEFAULT_SCORE,
): LeadScore {
  const features = featuresOf(record, model, options, false);
  let z = 0;
  const factors: ScoreFactor[] = [];
  for (const [feature, value] of features) {
    const contribution = weightOf(model, feature, options) * value;
    z += contribution;
    if (contribution !== 0) factors.push({ feature, contribution: Math.round(contribution * 1000) / 1000 });
  }
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { score: Math.round(100 * sigmoid(z)), factors: factors.slice(0, 5), examples };
}

/** Parse a stored model (JSONB), tolerating an empty or older row. */
export function modelFrom(value: Json | undefined): ScoreModelState {
  const base = emptyModel();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return base;
  const raw = value;
  // A row of the earlier AdaGrad model (weights, no z) starts over; "retrain" rebuilds it from history.
  if (raw.z === undefined && raw.w !== undefined && Object.keys(raw.w as object).length > 0) return base;
  return {
    bias: typeof raw.bias === 'number' ? raw.bias : 0,
    biasG: typeof raw.biasG === 'number' ? raw.biasG : 0,
    w: (raw.w ?? {}) as Record<string, number>,
    g: (raw.g ?? {}) as Record<string, number>,
    z: (raw.z ?? {}) as Record<string, number>,
    stats: (raw.stats ?? {}) as Record<string, [number, number, number]>,
  };
}

/** Area under the ROC curve (ties count half), for the benchmark and the retrain report. */
export function auc(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  const order = scores
    .map((score, index) => ({ score, label: labels[index]! }))
    .sort((a, b) => a.score - b.score);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.score === order[i]!.score) j += 1;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k += 1) {
      if (order[k]!.label === 1) {
        positives += 1;
        rankSum += rank;
      } else negatives += 1;
    }
    i = j;
  }
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
