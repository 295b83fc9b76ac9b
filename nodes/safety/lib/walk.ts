import type { Json } from '../../../engine/json.js';

/** Deeper than this, a guardrail does not try to read a value and fails closed. */
export const MAX_DEPTH = 64;
/** More text than this in one value is not checked: the guardrail fails closed. */
export const MAX_TEXT_CHARS = 2_000_000;

export class TooLarge extends Error {}

/**
 * A copy of `value` with every string (object keys excluded) passed through `map`. Throws
 * TooLarge past the depth or size limits, so a hostile input cannot slip through unchecked.
 */
export function mapStrings(value: Json, map: (text: string) => string): Json {
  let chars = 0;
  const visit = (node: Json, depth: number): Json => {
    if (depth > MAX_DEPTH) throw new TooLarge(`the input is nested deeper than ${MAX_DEPTH} levels`);
    if (typeof node === 'string') {
      chars += node.length;
      if (chars > MAX_TEXT_CHARS)
        throw new TooLarge(`the input holds more than ${MAX_TEXT_CHARS} characters of text`);
      return map(node);
    }
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
    if (node !== null && typeof node === 'object') {
      const copy: Record<string, Json> = {};
      for (const [key, item] of Object.entries(node)) copy[key] = visit(item, depth + 1);
      return copy;
    }
    return node;
  };
  return visit(value, 0);
}

/** Every string in a value, joined by newlines (for checks that read text, not rewrite it). */
export function textOf(value: Json): string {
  const parts: string[] = [];
  mapStrings(value, (text) => {
    parts.push(text);
    return text;
  });
  return parts.join('\n');
}
