import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LRUCache } from 'lru-cache';
import { DomainError, invalidInput } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import type { AiJsonSchema } from '../../nodes/ai/service.js';

/** Structured output: a JSON Schema checked with ajv (draft 2020-12), fences and prose around JSON tolerated. */

const MAX_SCHEMA_CHARS = 50_000;
const MAX_SCHEMA_DEPTH = 12;
const RAW_SHOWN = 2_000;

// Formats are not validated (ajv-formats is not a dependency); `strict: false` lets unknown keywords pass.
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const compiled = new LRUCache<string, ValidateFunction>({ max: 500 });

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_SCHEMA_DEPTH) return depth;
  if (Array.isArray(value)) return Math.max(depth, ...value.map((item) => depthOf(item, depth + 1)));
  if (value && typeof value === 'object')
    return Math.max(depth, ...Object.values(value).map((item) => depthOf(item, depth + 1)));
  return depth;
}

// A group holding a quantifier that is itself quantified ((a+)+, (a|aa)*), or a backreference:
// the shapes that backtrack exponentially. Schema patterns run in this process, on text anyone can send.
const riskyPattern =
  /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]|\((?:[^()\\]|\\.)*\|(?:[^()\\]|\\.)*\)[+*{]|\\[1-9]/;

function unsafePattern(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_SCHEMA_DEPTH || !value || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map((item) => unsafePattern(item, depth + 1)).find(Boolean);
  const object = value as Record<string, unknown>;
  const patterns = [
    ...(typeof object.pattern === 'string' ? [object.pattern] : []),
    ...(object.patternProperties && typeof object.patternProperties === 'object'
      ? Object.keys(object.patternProperties)
      : []),
  ];
  const bad = patterns.find((pattern) => pattern.length > 200 || riskyPattern.test(pattern));
  if (bad) return bad;
  return Object.values(object)
    .map((item) => unsafePattern(item, depth + 1))
    .find(Boolean);
}

/** The schema's validator; a schema ajv refuses (or too big, too deep) is bad input naming `schema`. */
export function validatorFor(schema: AiJsonSchema, field = 'schema'): ValidateFunction {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  if (key.length > MAX_SCHEMA_CHARS)
    throw invalidInput(field, `The schema has ${key.length} characters; at most ${MAX_SCHEMA_CHARS}`);
  if (depthOf(schema) > MAX_SCHEMA_DEPTH)
    throw invalidInput(field, `The schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
  if (schema.type !== 'object')
    throw invalidInput(field, 'The schema must describe an object: "type": "object" with "properties"');
  const risky = unsafePattern(schema);
  if (risky !== undefined)
    throw invalidInput(
      field,
      `The schema's pattern ${JSON.stringify(risky.slice(0, 80))} is too long or nests quantifiers (it could take exponential time); simplify it`,
    );
  let validate: ValidateFunction;
  try {
    // Never fetch remote $refs; a schema is self-contained.
    validate = ajv.compile({ ...schema, $id: undefined });
  } catch (error) {
    throw invalidInput(field, `Not a valid JSON Schema: ${(error as Error).message}`);
  }
  compiled.set(key, validate);
  return validate;
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 10)
    .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/** The JSON in a model's answer: inside ``` fences, or the outermost {...} of prose around it. */
export function parseModelJson(raw: string): { ok: true; value: Json } | { ok: false; error: string } {
  let text = raw.trim();
  const fenced = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(text);
  if (fenced) text = fenced[1]!.trim();
  const attempts = [text];
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start > 0 || (end >= 0 && end < text.length - 1)) attempts.push(text.slice(start, end + 1));
  for (const attempt of attempts) {
    try {
      return { ok: true, value: JSON.parse(attempt) as Json };
    } catch {
      // try the next reading
    }
  }
  return { ok: false, error: 'the answer is not JSON' };
}

/** Parse and validate; the error text is what the repair prompt and the failure show. */
export function checkStructured(
  raw: string,
  validate: ValidateFunction,
): { ok: true; value: Json } | { ok: false; error: string } {
  const parsed = parseModelJson(raw);
  if (!parsed.ok) return parsed;
  if (!validate(parsed.value)) return { ok: false, error: describeErrors(validate.errors) };
  return parsed;
}

/** The clear failure after the repair retry: the errors and the raw text (cut to a readable size). */
export function invalidOutput(provider: string, error: string, raw: string): DomainError {
  const shown = raw.length > RAW_SHOWN ? `${raw.slice(0, RAW_SHOWN)}… (${raw.length} characters)` : raw;
  return new DomainError(
    'invalid',
    'ai_invalid_output',
    `The ${provider} answer does not match the schema (${error}) after one repair retry. Raw answer: ${shown}`,
    undefined,
    { raw: shown, validation: error },
  );
}

/** OpenAI's strict mode needs every property required and no extra properties, at every level. */
export function strictCompatible(schema: Json): boolean {
  if (Array.isArray(schema)) return schema.every(strictCompatible);
  if (!schema || typeof schema !== 'object') return true;
  if (schema.type === 'object' || schema.properties) {
    const properties = schema.properties && typeof schema.properties === 'object' ? schema.properties : {};
    const keys = Object.keys(properties);
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (schema.additionalProperties !== false) return false;
    if (keys.some((key) => !required.includes(key))) return false;
  }
  return Object.values(schema).every((value) =>
    value && typeof value === 'object' ? strictCompatible(value) : true,
  );
}
