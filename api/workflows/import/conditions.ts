import type { Json } from '../../../engine/json.js';
import {
  asVarPath,
  isExpression,
  splitN8nTemplate,
  translateJs,
  valueAsJs,
  type ExpressionEnv,
  type Translation,
} from './expressions.js';
import { asArray, asRecord, asString } from './params.js';

/**
 * n8n conditions (If, Filter, Switch rules) → json-logic. A condition whose operands are plain
 * paths or literals and whose operator json-logic has becomes json-logic; any other one is
 * computed in JavaScript by a helper code node placed next to the routing node (json-logic runs
 * no JavaScript), and the rule reads the helper's answer: `{"===": [{"var": "nodes.h.output.0"}, true]}`.
 */

export interface Condition {
  left: unknown;
  right: unknown;
  type: string;
  operation: string;
  caseSensitive: boolean;
}

/** Collects the JavaScript a routing node's helper computes. */
export class ConditionHelper {
  readonly expressions: string[] = [];
  constructor(readonly helperId: string) {}
  add(js: string): Json {
    const index = this.expressions.push(js) - 1;
    return { '===': [{ var: `nodes.${this.helperId}.output.${index}` }, true] };
  }
  source(title: string): string {
    return [
      `// The n8n conditions of "${title.replace(/[\r\n]/g, ' ')}" that json-logic cannot express, computed here.`,
      'return [',
      ...this.expressions.map((js) => `  ${js},`),
      '];',
    ].join('\n');
  }
}

const V1_OPERATIONS: Record<string, string> = {
  equal: 'equals',
  notEqual: 'notEquals',
  smaller: 'lt',
  smallerEqual: 'lte',
  larger: 'gt',
  largerEqual: 'gte',
  isEmpty: 'empty',
  isNotEmpty: 'notEmpty',
};

/** If/Filter v1 and Switch v1–2 shape: `{ string: [{ value1, operation, value2 }], number: [...] }`. */
export function conditionsV1(conditions: unknown, caseSensitive = true): Condition[] {
  const out: Condition[] = [];
  const record = asRecord(conditions);
  for (const type of ['string', 'number', 'boolean', 'dateTime']) {
    for (const entry of asArray(record[type])) {
      const item = asRecord(entry);
      const operation = asString(item.operation) ?? (type === 'dateTime' ? 'after' : 'equal');
      out.push({
        left: item.value1 ?? (type === 'boolean' ? false : ''),
        right: item.value2 ?? (type === 'boolean' ? false : type === 'number' ? 0 : ''),
        type,
        operation: V1_OPERATIONS[operation] ?? operation,
        caseSensitive,
      });
    }
  }
  return out;
}

/** If/Filter v2 and Switch v3 shape: `{ options, conditions: [{ leftValue, rightValue, operator }], combinator }`. */
export function conditionsV2(
  conditions: unknown,
  ignoreCase = false,
): { list: Condition[]; combinator: string } {
  const record = asRecord(conditions);
  const options = asRecord(record.options);
  const caseSensitive = !ignoreCase && options.caseSensitive !== false;
  const list = asArray(record.conditions).map((entry): Condition => {
    const item = asRecord(entry);
    const operator = asRecord(item.operator);
    return {
      left: item.leftValue ?? '',
      right: item.rightValue ?? '',
      type: asString(operator.type) ?? 'string',
      operation: asString(operator.operation) ?? 'equals',
      caseSensitive,
    };
  });
  return { list, combinator: asString(record.combinator) === 'or' ? 'or' : 'and' };
}

/** json-logic for a list of conditions joined by `and` / `or`. */
export function toLogic(
  conditions: readonly Condition[],
  combinator: string,
  env: ExpressionEnv,
  helper: ConditionHelper,
  acc: Omit<Translation, 'code'>,
): Json {
  const rules = conditions.map(
    (condition) => direct(condition, env) ?? helper.add(asJs(condition, env, acc)),
  );
  if (rules.length === 0) return true;
  if (rules.length === 1) return rules[0]!;
  return { [combinator === 'or' ? 'or' : 'and']: rules };
}

/** A json-logic operand for a path expression or a literal; undefined otherwise. */
function operand(value: unknown, type: string, env: ExpressionEnv): { ok: true; value: Json } | undefined {
  if (isExpression(value)) {
    const pieces = splitN8nTemplate(value.slice(1));
    if (pieces.length !== 1 || pieces[0]!.kind !== 'code') return undefined;
    const translated = translateJs(pieces[0]!.text, env);
    if (translated.problems.length > 0 || translated.todos.length > 0) return undefined;
    const path = asVarPath(translated.code);
    return path === undefined ? undefined : { ok: true, value: { var: path } };
  }
  if (type === 'number') {
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) && value !== '' ? { ok: true, value: number } : undefined;
  }
  if (type === 'boolean') {
    if (typeof value === 'boolean') return { ok: true, value };
    return value === 'true' || value === 'false' ? { ok: true, value: value === 'true' } : undefined;
  }
  if (type === 'string' && typeof value === 'string') return { ok: true, value };
  return undefined;
}

const comparisons: Record<string, string> = {
  equals: '==',
  notEquals: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

function direct(condition: Condition, env: ExpressionEnv): Json | undefined {
  const { type, operation } = condition;
  if (type === 'string' && !condition.caseSensitive) return undefined;
  if (!['string', 'number', 'boolean'].includes(type)) return undefined;
  const left = operand(condition.left, type, env);
  if (!left) return undefined;
  if (operation === 'exists') return { '!=': [left.value, null] };
  if (operation === 'notExists') return { '==': [left.value, null] };
  if (type === 'boolean' && (operation === 'true' || operation === 'false'))
    return { '===': [left.value, operation === 'true'] };
  const right = operand(condition.right, type, env);
  if (!right) return undefined;
  const op = comparisons[operation];
  if (op && (type === 'number' || op === '==' || op === '!=')) return { [op]: [left.value, right.value] };
  if (type === 'string' && operation === 'contains' && typeof right.value === 'string')
    return { in: [right.value, left.value] };
  if (type === 'string' && operation === 'notContains' && typeof right.value === 'string')
    return { '!': { in: [right.value, left.value] } };
  return undefined;
}

/** The JavaScript body of one operator over `a` and `b`. */
function operatorJs(type: string, operation: string, caseSensitive: boolean): string | undefined {
  const s = (v: string): string =>
    caseSensitive ? `String(${v} ?? '')` : `String(${v} ?? '').toLowerCase()`;
  const isEmpty =
    "a === undefined || a === null || a === '' || (Array.isArray(a) && a.length === 0) || (typeof a === 'object' && a !== null && Object.keys(a).length === 0)";
  const regex = `((r) => { const m = /^\\/(.*)\\/([a-z]*)$/s.exec(r); return m ? new RegExp(m[1], m[2]) : new RegExp(r); })(String(b ?? ''))`;
  const common: Record<string, string> = {
    exists: 'a !== undefined && a !== null',
    notExists: 'a === undefined || a === null',
    empty: isEmpty,
    notEmpty: `!(${isEmpty})`,
  };
  const byType: Record<string, Record<string, string>> = {
    string: {
      equals: `${s('a')} === ${s('b')}`,
      notEquals: `${s('a')} !== ${s('b')}`,
      contains: `${s('a')}.includes(${s('b')})`,
      notContains: `!${s('a')}.includes(${s('b')})`,
      startsWith: `${s('a')}.startsWith(${s('b')})`,
      notStartsWith: `!${s('a')}.startsWith(${s('b')})`,
      endsWith: `${s('a')}.endsWith(${s('b')})`,
      notEndsWith: `!${s('a')}.endsWith(${s('b')})`,
      regex: `${regex}.test(String(a ?? ''))`,
      notRegex: `!${regex}.test(String(a ?? ''))`,
    },
    number: {
      equals: 'Number(a) === Number(b)',
      notEquals: 'Number(a) !== Number(b)',
      gt: 'Number(a) > Number(b)',
      gte: 'Number(a) >= Number(b)',
      lt: 'Number(a) < Number(b)',
      lte: 'Number(a) <= Number(b)',
    },
    boolean: {
      true: "a === true || a === 'true'",
      false: "a === false || a === 'false'",
      equals: "(a === true || a === 'true') === (b === true || b === 'true')",
      notEquals: "(a === true || a === 'true') !== (b === true || b === 'true')",
    },
    dateTime: {
      after: 'new Date(a).getTime() > new Date(b).getTime()',
      before: 'new Date(a).getTime() < new Date(b).getTime()',
      afterOrEquals: 'new Date(a).getTime() >= new Date(b).getTime()',
      beforeOrEquals: 'new Date(a).getTime() <= new Date(b).getTime()',
      equals: 'new Date(a).getTime() === new Date(b).getTime()',
      notEquals: 'new Date(a).getTime() !== new Date(b).getTime()',
    },
    array: {
      contains: 'Array.isArray(a) && a.includes(b)',
      notContains: '!(Array.isArray(a) && a.includes(b))',
      lengthEquals: '(a ?? []).length === Number(b)',
      lengthNotEquals: '(a ?? []).length !== Number(b)',
      lengthGt: '(a ?? []).length > Number(b)',
      lengthLt: '(a ?? []).length < Number(b)',
      lengthGte: '(a ?? []).length >= Number(b)',
      lengthLte: '(a ?? []).length <= Number(b)',
    },
    object: {},
  };
  return byType[type]?.[operation] ?? common[operation];
}

function asJs(condition: Condition, env: ExpressionEnv, acc: Omit<Translation, 'code'>): string {
  const body = operatorJs(condition.type, condition.operation, condition.caseSensitive);
  const a = valueAsJs(condition.left, env, acc);
  if (!body) {
    acc.problems.push(`the ${condition.type} operator "${condition.operation}" is not supported`);
    return 'false';
  }
  const b = valueAsJs(condition.right, env, acc);
  return `((a, b) => ${body})(${a}, ${b})`;
}
