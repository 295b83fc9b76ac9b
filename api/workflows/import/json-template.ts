import {
  isExpression,
  literalText,
  splitN8nTemplate,
  translateJs,
  type ExpressionEnv,
  type Translation,
} from './expressions.js';

/**
 * n8n JSON parameters (`jsonBody`, Set's `jsonOutput`, Respond's `responseBody`) are JSON text
 * with `{{ }}` parts, inside strings (`"Hi {{ $json.name }}"`) or as whole values
 * (`"count": {{ $json.n }}`). Revflow wants a JSON value with templates in its strings, so the
 * text is parsed with each part replaced by a marker and the markers become templates again:
 * a whole-value part keeps its type (`"{{ input.n }}"` is a single template).
 */

const VALUE = /^@@RFV(\d+)@@$/;
const INLINE = /@@RFX(\d+)@@/g;

export type JsonTemplate = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJsonTemplate(
  text: unknown,
  env: ExpressionEnv,
  acc: Omit<Translation, 'code'>,
): JsonTemplate {
  if (typeof text !== 'string') return { ok: true, value: text };
  const expression = isExpression(text);
  const pieces = expression ? splitN8nTemplate(text.slice(1)) : [{ kind: 'text' as const, text }];
  const sources: string[] = [];
  let json = '';
  let inString = false;
  for (const piece of pieces) {
    if (piece.kind === 'text') {
      for (let i = 0; i < piece.text.length; i++) {
        const ch = piece.text[i];
        if (inString && ch === '\\') {
          json += piece.text.slice(i, i + 2);
          i += 1;
          continue;
        }
        if (ch === '"') inString = !inString;
        json += ch;
      }
      continue;
    }
    const translated = translateJs(piece.text, env);
    acc.problems.push(...translated.problems);
    acc.todos.push(...translated.todos);
    acc.vars.push(...translated.vars);
    const index = sources.push(translated.code) - 1;
    json += inString ? `@@RFX${index}@@` : `"@@RFV${index}@@"`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.trim() === '' ? 'null' : json);
  } catch (error) {
    return { ok: false, reason: `the JSON does not parse: ${(error as Error).message.slice(0, 120)}` };
  }
  const restore = (value: unknown, depth: number): unknown => {
    if (depth > 64) return null;
    if (typeof value === 'string') {
      const whole = VALUE.exec(value);
      if (whole) return `{{ ${sources[Number(whole[1])]} }}`;
      let out = '';
      let cursor = 0;
      for (const match of value.matchAll(INLINE)) {
        out += literalText(value.slice(cursor, match.index)) + `{{ ${sources[Number(match[1])]} }}`;
        cursor = match.index + match[0].length;
      }
      return out + literalText(value.slice(cursor));
    }
    if (Array.isArray(value)) return value.map((item) => restore(item, depth + 1));
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[key] = restore(item, depth + 1);
      return copy;
    }
    return value;
  };
  return { ok: true, value: restore(parsed, 0) };
}
