import { hasTemplate } from '../../../engine/templates.js';

/**
 * n8n expressions → Revflow templates. n8n marks an expression with a leading `=` and writes
 * `{{ js }}` parts in it; Revflow writes the same `{{ js }}` parts (DESIGN §3) but its scope is
 * `input`, `nodes.<id>.output`, `run`, `vars`. The JavaScript inside is kept; only n8n's
 * variables are rewritten, and whatever has no meaning here is reported, never guessed.
 *
 * Item model: n8n passes a list of items `[{ json }]`; Revflow passes one value. A value that is
 * an array stands for n8n's list of items, anything else for one item. So `$json` is the input
 * (the one item), `$input.first().json` the first element when the input is a list, and
 * `$input.all()` the list as items.
 */

export interface ExpressionEnv {
  /** JavaScript for the current item's json: `input`, or `input.body` after an HTTP Request. */
  readonly inputBase: string;
  /** JavaScript for a node's item json, by n8n node name; undefined for an unknown name. */
  nodeRef(name: string): string | undefined;
}

export interface Translation {
  code: string;
  /** Parts that have no meaning here (the expression will not work as in n8n). */
  problems: string[];
  /** Things the user must fill in (`vars.X` for `$env.X`). */
  todos: string[];
  /** `vars` names the expression reads (`$env.X`, `$vars.X`). */
  vars: string[];
}

const first = (code: string): string => `((v) => (Array.isArray(v) ? v[0] : v))(${code})`;
const last = (code: string): string => `((v) => (Array.isArray(v) ? v[v.length - 1] : v))(${code})`;
const all = (code: string): string =>
  `((v) => (Array.isArray(v) ? v : [v]).map((json) => ({ json })))(${code})`;

/** n8n's own helper methods on strings, arrays and dates: not plain JavaScript. */
const N8N_ONLY_METHODS =
  /\.(isEmpty|isNotEmpty|toTitleCase|toSentenceCase|toSnakeCase|extractDomain|extractEmail|extractUrl|toDateTime|toFormat|plus|minus|sum|average|pluck|unique|removeDuplicates|urlEncode|urlDecode|toBoolean|isEmail|isUrl|isDomain|compact|chunk|randomItem|toJsonString|parseJson|keys|hasField|removeField|beginningOf|endOfMonth|diffTo|toInt|toFloat|round|floor|ceil|format)\(/;

/** n8n variables that have no Revflow meaning. */
const UNMAPPABLE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\$binary\b/, '$binary: Revflow passes JSON only, no binary data'],
  [/^\$execution\.resumeUrl\b/, '$execution.resumeUrl: runs resume on product events, not a URL'],
  [/^\$execution\.customData\b/, '$execution.customData has no equivalent'],
  [/^\$workflow\.(name|active)\b/, '$workflow.name/active is not in the expression scope'],
  [/^\$prevNode\b/, '$prevNode has no equivalent'],
  [/^\$jmespath\b/, '$jmespath is not available'],
  [/^\$fromAI\b/, '$fromAI (AI tool parameters) has no equivalent'],
  [/^\$evaluateExpression\b/, '$evaluateExpression is not available'],
  [/^\$if\b/, '$if(): write a ? b : c'],
  [/^\$ifEmpty\b/, '$ifEmpty() is not available'],
  [/^\$parameter\b/, "$parameter (the node's own parameters) has no equivalent"],
  [/^\$getWorkflowStaticData\b/, 'workflow static data has no equivalent'],
];

const NAME = String.raw`\s*(['"\`])((?:\\.|(?!\1)[^\\])*)\1\s*`;
const nodeCall = new RegExp(String.raw`^\$\(${NAME}\)`);
const nodeIndex = new RegExp(String.raw`^\$node\[${NAME}\]`);
const nodeDot = /^\$node\.([A-Za-z_$][\w$]*)/;
const itemsCall = new RegExp(String.raw`^\$items\(${NAME}\)`);
const envIndex = new RegExp(String.raw`^\$(env|vars)\[${NAME}\]`);
const envDot = /^\$(env|vars)\.([A-Za-z_][\w]*)/;

/** What follows a node reference: `.item.json`, `.first().json`, `.all()`, `.json`, ... */
function accessOf(rest: string, ref: string): { code: string; length: number } | undefined {
  const forms: ReadonlyArray<readonly [RegExp, (ref: string) => string]> = [
    [/^\.item\.json\b/, (r) => r],
    [/^\.first\(\s*\)\.json\b/, first],
    [/^\.last\(\s*\)\.json\b/, last],
    [/^\.all\(\s*\)/, all],
    [/^\.item\b/, (r) => `({ json: ${r} })`],
    [/^\.first\(\s*\)/, (r) => `({ json: ${first(r)} })`],
    [/^\.last\(\s*\)/, (r) => `({ json: ${last(r)} })`],
    [/^\.json\b/, (r) => r],
    [/^\.isExecuted\b/, () => 'true'],
  ];
  for (const [pattern, build] of forms) {
    const match = pattern.exec(rest);
    if (match) return { code: build(ref), length: match[0].length };
  }
  return undefined;
}

const unquote = (text: string): string => text.replace(/\\(.)/g, '$1');

/** Translate the JavaScript of one `{{ }}` part. */
export function translateJs(source: string, env: ExpressionEnv): Translation {
  const out: string[] = [];
  const result: Translation = { code: '', problems: [], todos: [], vars: [] };
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const end = skipString(source, i, ch);
      out.push(source.slice(i, end));
      i = end;
      continue;
    }
    if (ch !== '$' || /[\w$]/.test(source[i - 1] ?? '')) {
      out.push(ch);
      i += 1;
      continue;
    }
    const rest = source.slice(i);
    const step = translateVariable(rest, env, result);
    out.push(step.code);
    i += step.length;
  }
  result.code = out.join('');
  const helper = N8N_ONLY_METHODS.exec(result.code);
  if (helper) result.problems.push(`.${helper[1]}() is one of n8n's helper methods, not JavaScript`);
  if (/\bDateTime\.|\bDuration\.|\bInterval\./.test(result.code))
    result.problems.push('Luxon (DateTime) is not available: use Date');
  return result;
}

function translateVariable(
  rest: string,
  env: ExpressionEnv,
  result: Translation,
): { code: string; length: number } {
  const ref = (name: string, matched: number): { code: string; length: number } => {
    const code = env.nodeRef(name);
    if (code === undefined) {
      result.problems.push(`refers to a node "${name}" that is not in the workflow`);
      return { code: 'undefined', length: matched };
    }
    const access = accessOf(rest.slice(matched), code);
    if (!access) {
      result.problems.push(`$('${name}') is used in a way that has no equivalent`);
      return { code, length: matched };
    }
    return { code: access.code, length: matched + access.length };
  };

  let match: RegExpExecArray | null;
  if ((match = nodeCall.exec(rest))) return ref(unquote(match[2]!), match[0].length);
  if ((match = nodeIndex.exec(rest))) return ref(unquote(match[2]!), match[0].length);
  if ((match = nodeDot.exec(rest)) && match[1] !== 'json') return ref(match[1]!, match[0].length);
  if ((match = itemsCall.exec(rest))) {
    const code = env.nodeRef(unquote(match[2]!));
    if (code === undefined)
      result.problems.push(`refers to a node "${match[2]}" that is not in the workflow`);
    return { code: code === undefined ? '[]' : all(code), length: match[0].length };
  }
  if ((match = /^\$item\(\s*\d+\s*\)\./.exec(rest))) return { code: '', length: match[0].length };
  const simple: ReadonlyArray<readonly [RegExp, string | (() => string)]> = [
    [/^\$input\.item\.json\b/, env.inputBase],
    [/^\$input\.first\(\s*\)\.json\b/, () => first(env.inputBase)],
    [/^\$input\.last\(\s*\)\.json\b/, () => last(env.inputBase)],
    [/^\$input\.all\(\s*\)/, () => all(env.inputBase)],
    [/^\$input\.item\b/, () => `({ json: ${env.inputBase} })`],
    [/^\$input\.first\(\s*\)/, () => `({ json: ${first(env.inputBase)} })`],
    [/^\$input\.last\(\s*\)/, () => `({ json: ${last(env.inputBase)} })`],
    [/^\$json\b/, env.inputBase],
    [/^\$now\.toISO\(\s*\)/, 'new Date().toISOString()'],
    [/^\$now\.(toMillis|valueOf)\(\s*\)/, 'Date.now()'],
    [/^\$now\.toSeconds\(\s*\)/, 'Math.floor(Date.now() / 1000)'],
    [/^\$now\.toJSDate\(\s*\)/, 'new Date()'],
    [/^\$now\b(?!\s*\.)/, 'new Date().toISOString()'],
    [/^\$today\b(?!\s*\.)/, "(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z')"],
    [/^\$execution\.id\b/, 'run.id'],
    [/^\$execution\.mode\b/, "'production'"],
    [/^\$workflow\.id\b/, 'run.workflowId'],
    [/^\$runIndex\b/, '0'],
    [/^\$itemIndex\b/, '0'],
    [/^\$max\b/, 'Math.max'],
    [/^\$min\b/, 'Math.min'],
  ];
  for (const [pattern, code] of simple) {
    const found = pattern.exec(rest);
    if (found) return { code: typeof code === 'string' ? code : code(), length: found[0].length };
  }
  if ((match = envDot.exec(rest)) || (match = envIndex.exec(rest))) {
    const name = match[0].includes('[') ? unquote(match[3]!) : match[2]!;
    if (match[1] === 'env')
      result.todos.push(`$env.${name} became vars["${name}"]: set it in the workflow settings`);
    result.vars.push(name);
    return { code: `vars[${JSON.stringify(name)}]`, length: match[0].length };
  }
  for (const [pattern, reason] of UNMAPPABLE) {
    const found = pattern.exec(rest);
    if (found) {
      result.problems.push(reason);
      return { code: 'undefined', length: found[0].length };
    }
  }
  const name = /^\$[\w$]*/.exec(rest)![0];
  if (name.length > 1) result.problems.push(`${name} has no equivalent`);
  return { code: name, length: name.length };
}

function skipString(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** An n8n parameter string: an expression when it starts with `=`. */
export const isExpression = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith('=');

export interface TemplatePiece {
  kind: 'text' | 'code';
  text: string;
}

/** Split the text after `=` into literal text and `{{ }}` sources (n8n's own simple splitter). */
export function splitN8nTemplate(text: string): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  let cursor = 0;
  for (;;) {
    const open = text.indexOf('{{', cursor);
    if (open < 0) break;
    const close = closeOf(text, open + 2);
    if (close < 0) break;
    if (open > cursor) pieces.push({ kind: 'text', text: text.slice(cursor, open) });
    pieces.push({ kind: 'code', text: text.slice(open + 2, close).trim() });
    cursor = close + 2;
  }
  if (cursor < text.length) pieces.push({ kind: 'text', text: text.slice(cursor) });
  return pieces;
}

/** The `}}` closing a part: outside quotes and balanced braces. */
function closeOf(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'" || ch === '`') i = skipString(text, i, ch) - 1;
    else if (ch === '{') depth += 1;
    else if (ch === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      if (depth > 0) depth -= 1;
    }
  }
  return -1;
}

/** A literal text as a Revflow string: `{{` in it would start a template, so it is quoted. */
export function literalText(text: string): string {
  return hasTemplate(text) ? text.split('{{').join('{{ "{{" }}') : text;
}

export interface ValueTranslation extends Omit<Translation, 'code'> {
  value: unknown;
  /** The translated sources of the `{{ }}` parts, in order. */
  sources: string[];
}

/** An n8n parameter value (any JSON) → a Revflow config value with `{{ }}` templates. */
export function translateValue(value: unknown, env: ExpressionEnv): ValueTranslation {
  const acc: ValueTranslation = { value: undefined, problems: [], todos: [], vars: [], sources: [] };
  const visit = (item: unknown, depth: number): unknown => {
    if (depth > 64) return null;
    if (typeof item === 'string') return translateString(item, env, acc);
    if (Array.isArray(item)) return item.map((entry) => visit(entry, depth + 1));
    if (item !== null && typeof item === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(item)) copy[key] = visit(entry, depth + 1);
      return copy;
    }
    return item;
  };
  acc.value = visit(value, 0);
  return acc;
}

function translateString(text: string, env: ExpressionEnv, acc: ValueTranslation): string {
  if (!isExpression(text)) return literalText(text);
  const pieces = splitN8nTemplate(text.slice(1));
  return pieces
    .map((piece) => {
      if (piece.kind === 'text') return literalText(piece.text);
      const translated = translateJs(piece.text, env);
      merge(acc, translated);
      acc.sources.push(translated.code);
      return `{{ ${translated.code} }}`;
    })
    .join('');
}

export function merge(into: Omit<Translation, 'code'>, from: Omit<Translation, 'code'>): void {
  into.problems.push(...from.problems);
  into.todos.push(...from.todos);
  into.vars.push(...from.vars);
}

/**
 * A value as one JavaScript expression (for helper code): literals as JSON, an n8n expression
 * as its translated code, mixed text as a concatenation.
 */
export function valueAsJs(value: unknown, env: ExpressionEnv, acc: Omit<Translation, 'code'>): string {
  if (!isExpression(value)) return JSON.stringify(value ?? null);
  const pieces = splitN8nTemplate(value.slice(1));
  const parts = pieces.map((piece) => {
    if (piece.kind === 'text') return JSON.stringify(piece.text);
    const translated = translateJs(piece.text, env);
    merge(acc, translated);
    return `(${translated.code})`;
  });
  if (parts.length === 0) return '""';
  if (parts.length === 1 && pieces[0]!.kind === 'code') return parts[0]!;
  return parts
    .map((part, index) => (pieces[index]!.kind === 'code' ? `String(${part} ?? '')` : part))
    .join(' + ');
}

/** A json-logic `var` path for a translated expression that is a plain path (`input.body.x`). */
export function asVarPath(code: string): string | undefined {
  const trimmed = code.trim();
  const match =
    /^(input|trigger|vars|nodes\[("[A-Za-z_][\w-]*")\]|nodes\.[A-Za-z_][\w]*)((?:\.[A-Za-z_$][\w$]*|\[(?:\d+|"[^".[\]]*"|'[^'.[\]]*')\])*)$/.exec(
      trimmed,
    );
  if (!match) return undefined;
  const head = match[2] ? `nodes.${JSON.parse(match[2]) as string}` : match[1]!;
  const tail = match[3]!.replace(/\[(\d+)\]/g, '.$1').replace(/\[["']([^"']*)["']\]/g, '.$1');
  const path = head + tail;
  return path.split('.').some((segment) => segment === '') ? undefined : path;
}
