/** Lenient readers for n8n parameters: exported files are hand-edited and come from many versions. */

export type Params = Record<string, unknown>;

export const asRecord = (value: unknown): Params =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : {};

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export const asBool = (value: unknown, fallback: boolean): boolean =>
  typeof value === 'boolean' ? value : fallback;

/** n8n's resource locator `{ __rl: true, value, mode }` or a plain value. */
export function locatorValue(value: unknown): unknown {
  const record = asRecord(value);
  return record.__rl === true ? record.value : value;
}

/** `{ parameters: [{ name, value }] }` / `{ parameter: [...] }` / `{ entries: [...] }` lists. */
export function pairs(value: unknown, key = 'parameters'): Array<{ name: string; value: unknown }> {
  return asArray(asRecord(value)[key]).flatMap((entry) => {
    const item = asRecord(entry);
    const name = asString(item.name);
    return name === undefined || name === '' ? [] : [{ name, value: item.value ?? '' }];
  });
}
