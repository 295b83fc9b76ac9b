import type { AiCategory } from '../../../nodes/ai/service.js';
import { contentStems, sentimentOf } from './nlp.js';

/** Words that make a category about how the writer feels: sentiment moves its score. */
const negativeCue =
  /\b(complain\w*|angry|upset|frustrat\w*|unhappy|furious|annoyed|disappoint\w*|churn\w*|cancel\w*|refund\w*|negative|escalat\w*)\b/i;
const positiveCue =
  /\b(happy|positive|praise|interested|interest|excited|love|satisf\w*|delight\w*|hot|ready to buy|buying)\b/i;

export const LOCAL_CLASSIFY_THRESHOLD = 0.15;

// Verbs every request has ("we want", "I need"): they say nothing about the category.
const commonVerbs = new Set([
  'want',
  'need',
  'like',
  'get',
  'make',
  'use',
  'would',
  'could',
  'pleas',
  'thank',
  'look',
  'let',
  'know',
]);

/**
 * The local provider's classification: how much of each category's name and description the
 * text talks about (stem overlap, weighted so words that every category shares count less),
 * nudged by the text's sentiment for categories about feelings. Scores are 0 … 1 per category;
 * below the threshold nothing fits and the label is `other`.
 */
export function localClassify(
  text: string,
  categories: AiCategory[],
  multiLabel: boolean,
): { labels: string[]; scores: Record<string, number> } {
  const textStems = contentStems(text).filter((stem) => !commonVerbs.has(stem));
  const counts = new Map<string, number>();
  for (const stem of textStems) counts.set(stem, (counts.get(stem) ?? 0) + 1);
  const matches = (stem: string): number => {
    let hits = 0;
    for (const [word, count] of counts) {
      if (
        word === stem ||
        (stem.length >= 4 && word.startsWith(stem)) ||
        (word.length >= 4 && stem.startsWith(word))
      )
        hits += count;
    }
    return hits;
  };
  const vocab = categories.map((category) => [
    ...new Set<string>(
      contentStems(
        `${category.name.replace(/[-_]/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2')} ${category.description ?? ''}`,
      ).filter((stem) => !commonVerbs.has(stem)),
    ),
  ]);
  // A stem in many categories says little about any one of them (inverse document frequency).
  const df = new Map<string, number>();
  for (const stems of vocab) for (const stem of stems) df.set(stem, (df.get(stem) ?? 0) + 1);
  const sentiment = sentimentOf(text);
  const scores: Record<string, number> = {};
  categories.forEach((category, index) => {
    const stems = vocab[index] ?? [];
    let weight = 0;
    let hit = 0;
    for (const stem of stems) {
      const idf = Math.log(1 + categories.length / (df.get(stem) ?? 1));
      weight += idf;
      const found = matches(stem);
      // A repeated mention counts, with diminishing returns.
      if (found > 0) hit += idf * Math.min(2, 1 + Math.log(found));
    }
    let score = weight === 0 ? 0 : Math.min(1, (hit / weight) * 2.5);
    const about = `${category.name} ${category.description ?? ''}`;
    // A category about feelings: the text's sentiment, and its own feeling words, count.
    if (negativeCue.test(about)) score += Math.max(0, -sentiment) * 0.8 + (negativeCue.test(text) ? 0.2 : 0);
    if (positiveCue.test(about)) score += Math.max(0, sentiment) * 0.8 + (positiveCue.test(text) ? 0.2 : 0);
    scores[category.name] = Math.round(Math.min(1, score) * 1000) / 1000;
  });
  const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  const fitting = ranked.filter(([, score]) => score >= LOCAL_CLASSIFY_THRESHOLD).map(([name]) => name);
  const labels = fitting.length === 0 ? ['other'] : multiLabel ? fitting : [fitting[0]!];
  return { labels, scores };
}
