import nlp from 'compromise';

/**
 * Person names and places. wink-eng-lite-web-model tags no PERSON or GPE entities, so names and
 * places come from compromise's lexicon and grammar (people(), places()); context words then
 * raise their scores (context.ts). Long texts are read in slices to bound the cost.
 */
const SLICE = 20_000;
const MAX_TEXT = 200_000;

export interface NamedEntity {
  entity: 'person' | 'location';
  start: number;
  end: number;
}

interface Term {
  text: string;
  offset: { start: number; length: number };
}

function spans(
  view: { json(options: object): unknown },
  base: number,
  entity: NamedEntity['entity'],
): NamedEntity[] {
  const terms = view.json({ offset: true, text: true }) as Term[];
  return terms.map((term) => {
    // The offset covers trailing punctuation ("Smith,"): trim it off the span.
    const trimmed = term.text.replace(/[\s,.;:!?'")\]-]+$/u, '');
    return { entity, start: base + term.offset.start, end: base + term.offset.start + trimmed.length };
  });
}

export function namedEntities(text: string): NamedEntity[] {
  const out: NamedEntity[] = [];
  const limit = Math.min(text.length, MAX_TEXT);
  for (let base = 0; base < limit; base += SLICE) {
    let end = Math.min(limit, base + SLICE);
    // Cut at a line break so a name is not split between slices.
    if (end < limit) {
      const cut = text.lastIndexOf('\n', end);
      if (cut > base + SLICE / 2) end = cut;
    }
    const doc = nlp(text.slice(base, end));
    out.push(...spans(doc.people(), base, 'person'), ...spans(doc.places(), base, 'location'));
    if (end !== base + SLICE) base = end - SLICE;
  }
  return out.filter((e) => e.end > e.start);
}
