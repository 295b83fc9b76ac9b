import { isJsonObject, type Json } from '../../engine/json.js';
import { z } from 'zod';

/** Where a data node puts its result: a field of the input (kept) or a fresh object. */
export const outputOptions = (defaultField: string) => ({
  outputField: z.string().min(1).max(200).default(defaultField).describe('Field that receives the result'),
  keepInput: z
    .boolean()
    .default(true)
    .describe('Add the field to the input object; when off, output only the field'),
});

export function withResult(
  input: Json,
  options: { outputField: string; keepInput: boolean },
  result: Json,
): Json {
  const base = options.keepInput && isJsonObject(input) ? input : {};
  return { ...base, [options.outputField]: result };
}
