import { z } from 'zod';
import type { JsonObject } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { aiOverrides, aiService, callOptions, metaOf, textField, textOf } from './options.js';

const fieldTypes = [
  'string',
  'number',
  'integer',
  'boolean',
  'date',
  'email',
  'phone',
  'url',
  'enum',
] as const;

const field = z.object({
  name: z
    .string()
    .min(1)
    .max(80)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _'),
  type: z.enum(fieldTypes).default('string'),
  description: z.string().max(1000).optional(),
  required: z.boolean().default(false),
  /** For `enum`: the allowed values. */
  values: z.array(z.string().min(1).max(200)).max(100).optional(),
});
type Field = z.infer<typeof field>;

/** A simple field list as the JSON Schema it stands for. */
export function schemaOfFields(fields: Field[]): JsonObject {
  const property = (f: Field): JsonObject => {
    const described: JsonObject = f.description ? { description: f.description } : {};
    switch (f.type) {
      case 'date':
        return { type: 'string', format: 'date', ...described };
      case 'email':
        return { type: 'string', format: 'email', ...described };
      case 'url':
        return { type: 'string', format: 'uri', ...described };
      case 'phone':
        return { type: 'string', description: f.description ?? 'phone number' };
      case 'enum':
        return { type: 'string', enum: f.values ?? [], ...described };
      default:
        return { type: f.type, ...described };
    }
  };
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, property(f)])),
    required: fields.filter((f) => f.required).map((f) => f.name),
  };
}

export const aiExtractNode = defineNode({
  type: 'ai.extract',
  family: 'ai',
  title: 'AI: extract data',
  description: 'Reads text into a validated object: a JSON Schema, or a list of fields with descriptions.',
  docs:
    'The answer is checked against the schema; a model that answers badly gets one repair retry, then the ' +
    'step fails with code ai_invalid_output and the raw answer. The local provider (no key) reads emails, ' +
    'phones, dates, money, names, companies, places, URLs, numbers near a keyword, yes/no and enum values; ' +
    '`missing` lists the fields it could not fill.',
  icon: 'scan-text',
  sideEffects: true,
  outbound: 'ai',
  timeoutMs: 180_000,
  rawFields: ['schema'],
  config: z
    .object({
      text: textField,
      schema: z.record(z.string(), z.json()).optional().describe('A JSON Schema with "type": "object"'),
      fields: z
        .array(field)
        .max(100)
        .refine(
          (fields) => new Set(fields.map((f) => f.name)).size === fields.length,
          'field names must be unique',
        )
        .optional(),
      instructions: z.string().max(100_000).optional(),
      ...aiOverrides,
    })
    .refine((config) => config.schema !== undefined || (config.fields?.length ?? 0) > 0, {
      message: 'give a schema or at least one field',
      path: ['fields'],
    }),
  run: async (ctx, input) => {
    const config = ctx.config;
    const schema = (config.schema) ?? schemaOfFields(config.fields ?? []);
    const result = await aiService(ctx).extract(
      ctx.run.workspaceId,
      {
        text: textOf(config.text, input),
        schema,
        ...(config.instructions !== undefined && { instructions: config.instructions }),
      },
      callOptions(ctx),
    );
    return {
      data: result.data,
      ...(result.missing !== undefined && { missing: result.missing }),
      ...(result.provider !== 'local' && { raw: result.raw }),
      ...metaOf(result),
    };
  },
});
