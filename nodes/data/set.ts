import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { getPath, removePath, setPath, splitPath } from './paths.js';

const fieldPath = z.string().min(1).max(200);

export const setNode = defineNode({
  type: 'data.set',
  family: 'data',
  title: 'Set fields',
  description: 'Sets, renames and removes fields of the input; values may use {{ expressions }}.',
  docs: 'Paths are dotted (`customer.plan`). Order: rename, then set, then remove.',
  icon: 'pencil',
  config: z.object({
    fields: z.array(z.object({ name: fieldPath, value: z.unknown() })).default([]),
    rename: z.array(z.object({ from: fieldPath, to: fieldPath })).default([]),
    remove: z.array(fieldPath).default([]),
    keepInput: z
      .boolean()
      .default(true)
      .describe('Start from the input; when off, the output has only the set fields'),
  }),
  run: (ctx, input) => {
    const { fields, rename, remove, keepInput } = ctx.config;
    let output: JsonObject = keepInput && isJsonObject(input) ? input : {};
    try {
      for (const { from, to } of rename) {
        const value = getPath(output, splitPath(from));
        if (value === undefined) continue;
        output = setPath(removePath(output, splitPath(from)), splitPath(to), value);
      }
      for (const { name, value } of fields)
        output = setPath(output, splitPath(name), (value ?? null) as Json);
      for (const path of remove) output = removePath(output, splitPath(path));
    } catch (error) {
      throw new StepFailure(
        error instanceof Error ? error.message : String(error),
        'config',
        'config.fields',
      );
    }
    return output;
  },
});
