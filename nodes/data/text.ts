import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { outputOptions, withResult } from './output.js';

/** A template's value as text: strings as they are, everything else as JSON. */
function asText(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const textNode = defineNode({
  type: 'data.text',
  family: 'data',
  title: 'Text',
  description: 'Builds a string from a template with {{ expressions }}.',
  docs:
    'The engine evaluates the `{{ }}` parts (they see input, trigger, nodes.<id>.output, vars) before the node runs. ' +
    'A template that is one expression returning a non-string is written as JSON. Example: ' +
    '`Hi {{ input.firstName }}, your trial ends on {{ input.trialEnd }}.`',
  icon: 'type',
  config: z.object({
    template: z
      .unknown()
      .refine((value) => value !== undefined, 'a template is required')
      .describe('Text with {{ expressions }}'),
    ...outputOptions('text'),
  }),
  run: (ctx, input) => withResult(input, ctx.config, asText(ctx.config.template as Json | undefined)),
});
