import { isJsonObject, type Json, type JsonObject } from '../../engine/json.js';

const forbidden = new Set(['__proto__', 'constructor', 'prototype']);

export function splitPath(path: string): string[] {
  const segments = path.split('.').filter((segment) => segment.length > 0);
  if (segments.length === 0) throw new Error('a field path is empty');
  for (const segment of segments) {
    if (forbidden.has(segment)) throw new Error(`"${segment}" cannot be used in a field path`);
  }
  return segments;
}

export function getPath(value: Json, segments: readonly string[]): Json | undefined {
  let current: Json | undefined = value;
  for (const segment of segments) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** A copy of `target` with the value at the path replaced; only the objects on the path are copied. */
export function setPath(target: JsonObject, segments: readonly string[], value: Json): JsonObject {
  const [head, ...rest] = segments;
  if (head === undefined) return target;
  const copy: JsonObject = { ...target };
  if (rest.length === 0) copy[head] = value;
  else {
    const child = copy[head];
    copy[head] = setPath(isJsonObject(child) ? child : {}, rest, value);
  }
  return copy;
}

/** A copy of `target` without the field at the path. */
export function removePath(target: JsonObject, segments: readonly string[]): JsonObject {
  const [head, ...rest] = segments;
  if (head === undefined || !Object.prototype.hasOwnProperty.call(target, head)) return target;
  const copy: JsonObject = { ...target };
  if (rest.length === 0) delete copy[head];
  else {
    const child = copy[head];
    if (isJsonObject(child)) copy[head] = removePath(child, rest);
  }
  return copy;
}
