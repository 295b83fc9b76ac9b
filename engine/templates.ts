import { isJsonObject, type Json } from './json.js';

/**
 * `{{ expression }}` templates in string config values (DESIGN §3), host side only:
 * this module finds and splices templates; it never evaluates anything (that is the
 * sandbox's job, DESIGN §6).
 */

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  /** `source` is trimmed; `start` is the offset of its `{{` in the whole string. */
  | { readonly kind: 'expression'; readonly source: string; readonly start: number };

/** A template that cannot be split into parts; `position` is an offset into the string. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const OPEN = '{{';

/**
 * Budgets of templates (DESIGN §6). Each expression runs in the sandbox under its CPU and
 * memory limits and its result is capped like a step's output; these bound what a config can
 * ask of one crossing, and keep the host's own walks over a config iterative in depth.
 */
export const templateBudgets = {
  /** Expressions in one string value. */
  maxExpressionsPerString: 64,
  /** Distinct expressions in one node's config (all evaluated in one crossing). */
  maxExpressionsPerConfig: 256,
  /** Config nesting below which strings are not looked at for templates (kept as text). */
  maxDepth: 64,
} as const;

/** Cheap test used before parsing: any string with `{{` is treated as a template. */
export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Split a string into literal text and trimmed expression sources. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  let expressions = 0;
  for (;;) {
    const open = text.indexOf(OPEN, cursor);
    if (open < 0) break;
    if (open > cursor) parts.push({ kind: 'text', text: text.slice(cursor, open) });
    const close = findClose(text, open + OPEN.length);
    if (close < 0) {
      throw new TemplateSyntaxError(`"{{" at position ${open} is never closed with "}}"`, open);
    }
    const source = text.slice(open + OPEN.length, close).trim();
    if (source === '') throw new TemplateSyntaxError(`empty "{{ }}" at position ${open}`, open);
    parts.push({ kind: 'expression', source, start: open });
    if (++expressions > templateBudgets.maxExpressionsPerString) {
      throw new TemplateSyntaxError(
        `more than ${templateBudgets.maxExpressionsPerString} "{{ }}" expressions in one value`,
        open,
      );
    }
    cursor = close + 2;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return parts;
}

/**
 * Index of the `}}` that ends an expression starting at `from`, or -1.
 * A `}}` only closes at brace depth 0 and outside string/template literals, so
 * `{{ "}}" }}` and `{{ {a: {b: 1}} }}` work. A `${` inside a backtick literal opens a
 * nested code context that its own `}` closes.
 */
function findClose(text: string, from: number): number {
  // Each entry is a context we are inside: '{' (code braces or `${`) or '`' (template literal).
  const stack: ('{' | '`')[] = [];
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (stack[stack.length - 1] === '`') {
      if (ch === '\\') {
        i += 2;
      } else if (ch === '`') {
        stack.pop();
        i += 1;
      } else if (ch === '$' && text[i + 1] === '{') {
        stack.push('{');
        i += 2;
      } else {
        i += 1;
      }
      continue;
    }
    if (ch === '"' || ch === "'") {
      i = skipQuoted(text, i, ch);
      if (i < 0) return -1;
    } else if (ch === '`') {
      stack.push('`');
      i += 1;
    } else if (ch === '{') {
      stack.push('{');
      i += 1;
    } else if (ch === '}') {
      if (stack.length === 0 && text[i + 1] === '}') return i;
      // A stray `}` at depth 0 belongs to the expression; the sandbox will report it.
      if (stack.length > 0) stack.pop();
      i += 1;
    } else {
      i += 1;
    }
  }
  return -1;
}

/** Position just after the closing quote of a '…' or "…" literal, or -1 if unclosed. */
function skipQuoted(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i += 1;
    else if (ch === quote) return i + 1;
  }
  return -1;
}

/** True when the value is exactly one template (whitespace around it allowed). */
export function isSingleTemplate(text: string): boolean {
  if (!hasTemplate(text)) return false;
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text);
  } catch {
    return false;
  }
  return singleExpression(parts) !== undefined;
}

/** The expression of a part list that is one expression padded by whitespace only. */
function singleExpression(parts: readonly TemplatePart[]): string | undefined {
  let source: string | undefined;
  for (const part of parts) {
    if (part.kind === 'text') {
      if (part.text.trim() !== '') return undefined;
    } else {
      if (source !== undefined) return undefined;
      source = part.source;
    }
  }
  return source;
}

/** How a value renders inside mixed text: objects as JSON, null/undefined as nothing. */
export function stringifyTemplateValue(value: Json | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A string config value found by `findTemplateStrings`. */
export interface TemplateString {
  /** Path from the config root, e.g. `['headers', 'Authorization']`. */
  readonly path: readonly (string | number)[];
  readonly text: string;
}

/**
 * Every string holding `{{` in a config, skipping the top-level `rawFields`
 * (code, json-logic), which are kept verbatim.
 */
export function findTemplateStrings(config: unknown, rawFields: readonly string[]): TemplateString[] {
  const found: TemplateString[] = [];
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (path.length > templateBudgets.maxDepth) return;
    if (typeof value === 'string') {
      if (hasTemplate(value)) found.push({ path: [...path], text: value });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (isJsonObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (path.length === 0 && rawFields.includes(key)) continue;
        visit(item, [...path, key]);
      }
    }
  };
  visit(config, []);
  return found;
}

// ---------------------------------------------------------------------------
// Compiled configs: walk once at publish/first run, then splice values per step.

export interface CompiledConfig {
  /** Distinct expression sources, in first-seen order; evaluate these, in this order. */
  readonly expressions: readonly string[];
  /** Rebuild the config from values aligned with `expressions`. */
  apply(values: readonly (Json | undefined)[]): unknown;
}

/** What to rebuild at one place in the config; untouched subtrees are not represented. */
type Patch =
  | { readonly kind: 'single'; readonly index: number }
  | { readonly kind: 'mixed'; readonly parts: readonly (string | number)[] }
  | {
      readonly kind: 'object';
      readonly source: Readonly<Record<string, unknown>>;
      readonly children: readonly (readonly [string, Patch])[];
    }
  | {
      readonly kind: 'array';
      readonly source: readonly unknown[];
      readonly children: readonly (readonly [number, Patch])[];
    };

/**
 * Find the templates of a config once. Throws `TemplateSyntaxError` (with the
 * config path in its message) on the first template that does not parse; the
 * validator reports those beforehand, so a published config never throws here.
 */
export function compileConfigTemplates(config: unknown, rawFields: readonly string[]): CompiledConfig {
  const expressions: string[] = [];
  const indexOf = new Map<string, number>();
  const intern = (source: string): number => {
    let index = indexOf.get(source);
    if (index === undefined) {
      index = expressions.push(source) - 1;
      indexOf.set(source, index);
    }
    return index;
  };
  const patch = compileValue(config, [], rawFields, intern);
  if (expressions.length > templateBudgets.maxExpressionsPerConfig) {
    throw new TemplateSyntaxError(
      `config: more than ${templateBudgets.maxExpressionsPerConfig} distinct "{{ }}" expressions`,
      0,
    );
  }
  if (patch === undefined) return { expressions, apply: () => config };
  return { expressions, apply: (values) => applyPatch(patch, values) };
}

function compileValue(
  value: unknown,
  path: (string | number)[],
  rawFields: readonly string[],
  intern: (source: string) => number,
): Patch | undefined {
  if (path.length > templateBudgets.maxDepth) return undefined;
  if (typeof value === 'string') return compileString(value, path, intern);
  if (Array.isArray(value)) {
    const children: [number, Patch][] = [];
    value.forEach((item, index) => {
      const child = compileValue(item, [...path, index], rawFields, intern);
      if (child !== undefined) children.push([index, child]);
    });
    return children.length > 0 ? { kind: 'array', source: value, children } : undefined;
  }
  if (isJsonObject(value)) {
    const children: [string, Patch][] = [];
    for (const [key, item] of Object.entries(value)) {
      if (path.length === 0 && rawFields.includes(key)) continue;
      const child = compileValue(item, [...path, key], rawFields, intern);
      if (child !== undefined) children.push([key, child]);
    }
    return children.length > 0 ? { kind: 'object', source: value, children } : undefined;
  }
  return undefined;
}

function compileString(
  text: string,
  path: readonly (string | number)[],
  intern: (source: string) => number,
): Patch | undefined {
  if (!hasTemplate(text)) return undefined;
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    const where = path.length > 0 ? `config.${path.join('.')}` : 'config';
    throw new TemplateSyntaxError(`${where}: ${error.message}`, error.position);
  }
  const single = singleExpression(parts);
  if (single !== undefined) return { kind: 'single', index: intern(single) };
  // Literal text stays a string, expressions become their value index.
  return { kind: 'mixed', parts: parts.map((p) => (p.kind === 'text' ? p.text : intern(p.source))) };
}

function applyPatch(patch: Patch, values: readonly (Json | undefined)[]): unknown {
  switch (patch.kind) {
    case 'single':
      return values[patch.index];
    case 'mixed': {
      let out = '';
      for (const part of patch.parts)
        out += typeof part === 'string' ? part : stringifyTemplateValue(values[part]);
      return out;
    }
    case 'object': {
      const copy: Record<string, unknown> = { ...patch.source };
      for (const [key, child] of patch.children) copy[key] = applyPatch(child, values);
      return copy;
    }
    case 'array': {
      const copy = patch.source.slice();
      for (const [index, child] of patch.children) copy[index] = applyPatch(child, values);
      return copy;
    }
  }
}
