import { contentStems } from './nlp.js';

export const LOCAL_EMBEDDING_DIMENSIONS = 256;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A hashed bag of words (the "hashing trick"): each content-word stem lands in one of 256
 * buckets with a hash-chosen sign, weighted 1 + log(tf), and the vector is L2-normalised, so
 * the dot product of two vectors is their cosine similarity. Not semantic: shared words only.
 */
export function localEmbed(text: string): number[] {
  const vector = new Array<number>(LOCAL_EMBEDDING_DIMENSIONS).fill(0);
  const counts = new Map<string, number>();
  for (const stem of contentStems(text)) counts.set(stem, (counts.get(stem) ?? 0) + 1);
  for (const [stem, count] of counts) {
    const hash = fnv1a(stem);
    const bucket = hash % LOCAL_EMBEDDING_DIMENSIONS;
    const sign = (hash >>> 16) & 1 ? 1 : -1;
    vector[bucket] = (vector[bucket] ?? 0) + sign * (1 + Math.log(count));
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? vector : vector.map((value) => Math.round((value / norm) * 1e6) / 1e6);
}
