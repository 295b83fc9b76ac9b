import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json, JsonObject } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { outputOptions, withResult } from './output.js';
import { getPath, setPath, splitPath } from './paths.js';

const operation = z.enum(['parse', 'stringify', 'pick']);

export const jsonNode = defineNode({
  type: 'data.json',
  family: 'data',
  title: 'JSON',
  description: 'Parses a JSON string, stringifies a value, or picks fields by path.',
  docs:
    '`value` defaults to the input (use `{{ input.payload }}` to pick part of it). `pick` keeps only the given ' +
    'dotted paths (`customer.email`), in the same nesting; missing paths are left out.',
  icon: 'braces',
  config: z
    .object({
      operation,
      value: z.unknown().optional().describe('What to work on; default: the input'),
      indent: z.number().int().min(0).max(8).default(0).describe('stringify: spaces of indentation'),
      paths: z.array(z.string().min(1).max(200)).default([]).describe('pick: dotted paths to keep'),
      ...outputOptions('json'),
    })
    .refine((config) => config.operation !== 'pick' || config.paths.length > 0, {
      message: 'pick needs at least one path',
      path: ['paths'],
    }),
  run: (ctx, input) => {
    const { operation, indent, paths } = ctx.config;
    const value = (ctx.config.value === undefined ? input : ctx.config.value) as Json;
    switch (operation) {
      case 'parse': {
        if (typeof value !== 'string')
          throw new StepFailure(
            `parse needs a string, got ${value === null ? 'null' : typeof value}`,
            'invalid_input',
            'config.value',
          );
        try {
          return withResult(input, ctx.config, JSON.parse(value) as Json);
        } catch (error) {
          throw new StepFailure(
            `The text is not valid JSON: ${(error as Error).message}`,
            'invalid_input',
            'config.value',
          );
        }
      }
      case 'stringify':
        return withResult(input, ctx.config, JSON.stringify(value, null, indent || undefined) ?? 'null');
      case 'pick': {
        let picked: JsonObject = {};
        for (const path of paths) {
          const found = getPath(value, splitPath(path));
          if (found !== undefined) picked = setPath(picked, splitPath(path), found);
        }
        return withResult(input, ctx.config, picked);
      }
    }
  },
});
