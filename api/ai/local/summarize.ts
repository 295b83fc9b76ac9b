import { contentStems, entitiesOf, sentencesOf } from './nlp.js';

const greeting = /^(hi|hello|hey|dear|thanks|thank you)\b/i;
const signOff =
  /^(best|regards|kind regards|warm regards|cheers|sincerely|sent from|thanks again|many thanks)\b/i;
// The prompt's own instruction ("Write a follow-up to ...") is not a point of its content.
const instruction =
  /^(please\s+)?(write|draft|compose|create|generate|reply|respond|summari[sz]e|make|prepare)\b/i;
const informative = new Set(['DATE', 'MONEY', 'CARDINAL', 'PERCENT', 'TIME', 'EMAIL', 'URL', 'DURATION']);

/**
 * The local provider's summary is extractive: sentences ranked by how many of the text's
 * frequent content words they carry (normalised by length), with a bonus for facts (dates,
 * money, numbers) and for coming first; greetings and sign-offs are left out. The summary is
 * the best `maxSentences` in their original order; the key points are the best five, best first.
 */
export function localSummarize(text: string, maxSentences: number): { summary: string; keyPoints: string[] } {
  const sentences = sentencesOf(text)
    .map((sentence, index) => ({ text: sentence.text.trim(), index }))
    .filter((sentence) => sentence.text.length > 0);
  const candidates = sentences.filter(
    (s) =>
      !(greeting.test(s.text) && s.text.length < 60) &&
      !signOff.test(s.text) &&
      !instruction.test(s.text) &&
      /\p{L}{2}/u.test(s.text),
  );
  const pool = candidates.length > 0 ? candidates : sentences;
  const frequency = new Map<string, number>();
  const stemsOf = new Map<number, string[]>();
  for (const sentence of pool) {
    const stems = contentStems(sentence.text);
    stemsOf.set(sentence.index, stems);
    for (const stem of new Set(stems)) frequency.set(stem, (frequency.get(stem) ?? 0) + 1);
  }
  const top = Math.max(1, ...frequency.values());
  const scored = pool.map((sentence, position) => {
    const stems = stemsOf.get(sentence.index) ?? [];
    const weight = stems.reduce((sum, stem) => sum + (frequency.get(stem) ?? 0) / top, 0);
    const facts = entitiesOf(sentence.text).filter((e) => informative.has(e.type)).length;
    const score =
      weight / Math.sqrt(Math.max(4, stems.length)) + Math.min(3, facts) * 0.25 + (position === 0 ? 0.3 : 0);
    return { ...sentence, score };
  });
  const ranked = [...scored].sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen = ranked.slice(0, maxSentences).sort((a, b) => a.index - b.index);
  return {
    summary: chosen.map((s) => s.text).join(' '),
    keyPoints: ranked.slice(0, Math.min(5, ranked.length)).map((s) => s.text.replace(/\s+/g, ' ')),
  };
}
