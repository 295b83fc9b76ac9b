/** A JSON value: what flows along an edge, what a step records. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const jsonTexts = new WeakMap<object, string>();

/**
 * The JSON text of a value, computed once per object. A node's output is measured against the
 * output cap, stored as its step's output and again as the input of the steps after it: one
 * JSON.stringify serves all of them. Sound because values that flow between nodes are never
 * changed once emitted — nodes return new values and leave their input alone (DESIGN §4).
 * `undefined` (and anything JSON cannot say at the top level) is `null`.
 */
export function jsonText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  let text = jsonTexts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value) ?? 'null';
    jsonTexts.set(value, text);
  }
  return text;
}

/** Size of a value once serialised, in bytes; used to cap step outputs. */
export function jsonByteLength(value: unknown): number {
  if (value === undefined) return 0;
  return Buffer.byteLength(jsonText(value), 'utf8');
}

/** Whether a value serialises to more than `maxBytes`; counts bytes only when it could. */
export function jsonExceeds(value: unknown, maxBytes: number): boolean {
  if (value === undefined) return false;
  const text = jsonText(value);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}
