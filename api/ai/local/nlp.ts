/* eslint-disable @typescript-eslint/unbound-method -- wink's `its` helpers are plain functions that its API takes by reference */
import model from 'wink-eng-lite-web-model';
import winkNLP, { type ItemSentence, type ItemToken } from 'wink-nlp';

// wink's typings declare its.stem with a different signature than `out` takes; it works at runtime.
type ItsOf = Parameters<ItemToken['out']>[0];
const stemOf = (nlp: ReturnType<typeof winkNLP>): ItsOf => nlp.its.stem as unknown as ItsOf;

/** One wink-nlp instance per process: loading the English model takes a while, reading is fast. */
let instance: ReturnType<typeof winkNLP> | undefined;

export function wink(): ReturnType<typeof winkNLP> {
  instance ??= winkNLP(model);
  return instance;
}

/** The lower-case stems of a text's words, stop words and punctuation left out. */
export function contentStems(text: string): string[] {
  const nlp = wink();
  const its = nlp.its;
  const stems: string[] = [];
  nlp
    .readDoc(text)
    .tokens()
    .each((token: ItemToken) => {
      if (token.out(its.type) !== 'word' || token.out(its.stopWordFlag)) return;
      stems.push(String(token.out(stemOf(nlp))).toLowerCase());
    });
  return stems;
}

/** Sentences with their sentiment (-1 … 1), in order. */
export function sentencesOf(text: string): Array<{ text: string; sentiment: number }> {
  const nlp = wink();
  const its = nlp.its;
  const out: Array<{ text: string; sentiment: number }> = [];
  nlp
    .readDoc(text)
    .sentences()
    .each((sentence: ItemSentence) => {
      out.push({ text: sentence.out(), sentiment: Number(sentence.out(its.sentiment)) || 0 });
    });
  return out;
}

export function sentimentOf(text: string): number {
  const nlp = wink();
  return Number(nlp.readDoc(text).out(nlp.its.sentiment)) || 0;
}

/** wink's named entities: value and type (DATE, MONEY, CARDINAL, EMAIL, URL, ...). */
export function entitiesOf(text: string): Array<{ value: string; type: string }> {
  const nlp = wink();
  const detail = nlp.readDoc(text).entities().out(nlp.its.detail) as unknown;
  return Array.isArray(detail)
    ? detail.map((item: { value?: unknown; type?: unknown }) => ({
        value: typeof item.value === 'string' ? item.value : '',
        type: typeof item.type === 'string' ? item.type : '',
      }))
    : [];
}

/** Every word of a text with its lower-case stem and where it starts (for "nearest to a keyword"). */
export function stemmedWords(text: string): Array<{ stem: string; index: number }> {
  const nlp = wink();
  const its = nlp.its;
  const out: Array<{ stem: string; index: number }> = [];
  let cursor = 0;
  nlp
    .readDoc(text)
    .tokens()
    .each((token: ItemToken) => {
      const value = String(token.out());
      const index = text.indexOf(value, cursor);
      if (index >= 0) cursor = index + value.length;
      if (token.out(its.type) !== 'word') return;
      out.push({ stem: String(token.out(stemOf(nlp))).toLowerCase(), index: index < 0 ? cursor : index });
    });
  return out;
}
