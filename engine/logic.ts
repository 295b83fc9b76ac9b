import jsonLogic from 'json-logic-js';
import { StepFailure } from './errors.js';
import type { Json } from './json.js';
import type { ExpressionScope } from './node.js';

/**
 * json-logic conditions (DESIGN §3), evaluated in the host: rules are data, not code.
 * Two operations are made safe once, at load: `method` (calls arbitrary methods, and so
 * reaches `Function` through `constructor`) is removed, and `var` only walks own
 * properties, never `__proto__`, `constructor` or `prototype`.
 *
 * They run on the host's thread with no CPU limit, so every evaluation has budgets (DESIGN §6):
 * the rule's size and depth are checked before it runs, and every operation applied — the
 * nested ones that `all`, `some`, `none`, `map`, `filter` and `reduce` apply per element
 * included — counts against an operations budget, as does any text an operation builds.
 * Nested `all` over three 300-element arrays (27 million operations, 8 s before) now stops
 * after 100,000 operations, in milliseconds.
 */
export const logicBudgets = {
  /** Operations (json-logic `apply` calls) one evaluation may make. */
  maxOperations: 100_000,
  /** Nesting of the rule itself. */
  maxDepth: 64,
  /** Values (objects, arrays, scalars) in the rule itself. */
  maxRuleNodes: 10_000,
  /** Longest text an operation may produce (`cat`, `substr`). */
  maxTextLength: 1024 * 1024,
} as const;

const forbiddenSegments = new Set(['__proto__', 'constructor', 'prototype']);

function safeVar(this: unknown, path: unknown, fallback?: unknown): unknown {
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === null || path === '') return this;
  // json-logic hands the data to operations as `this`.
  // eslint-disable-next-line @typescript-eslint/no-this-alias
  let current: unknown = this;
  const text = typeof path === 'string' || typeof path === 'number' ? String(path) : '';
  for (const segment of text.split('.')) {
    if (current === null || typeof current !== 'object' || forbiddenSegments.has(segment)) return notFound;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return notFound;
    current = (current as Record<string, unknown>)[segment];
    if (current === undefined) return notFound;
  }
  return current;
}

jsonLogic.rm_operation('method');
jsonLogic.add_operation('var', safeVar);

/** What is left of the evaluation in progress; evaluations are synchronous, so one is enough. */
let operationsLeft = Infinity;

// json-logic-js applies nested rules through `jsonLogic.apply` itself, so counting here sees
// every operation, per element too.
const applyUnbudgeted = jsonLogic.apply.bind(jsonLogic);
jsonLogic.apply = function budgetedApply(logic: jsonLogic.RulesLogic, data?: unknown): unknown {
  if (--operationsLeft < 0) {
    throw new StepFailure(
      `The condition needs more than ${logicBudgets.maxOperations} operations (nested all/some/map over large lists?)`,
      'condition_budget',
    );
  }
  const value: unknown = applyUnbudgeted(logic, data);
  if (typeof value === 'string' && value.length > logicBudgets.maxTextLength) {
    throw new StepFailure(
      `The condition built a text longer than ${logicBudgets.maxTextLength} characters`,
      'condition_budget',
    );
  }
  return value;
} as typeof jsonLogic.apply;

/** Refuses a rule too deep or too large to evaluate (checked without recursion). */
export function checkRuleShape(rule: unknown): string | undefined {
  const stack: [unknown, number][] = [[rule, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > logicBudgets.maxRuleNodes)
      return `the condition has more than ${logicBudgets.maxRuleNodes} values`;
    if (depth > logicBudgets.maxDepth)
      return `the condition is nested deeper than ${logicBudgets.maxDepth} levels`;
    if (Array.isArray(value)) for (const item of value) stack.push([item, depth + 1]);
    else if (typeof value === 'object' && value !== null)
      for (const item of Object.values(value)) stack.push([item, depth + 1]);
  }
  return undefined;
}

/** The data a json-logic `var` sees: the expression scope with `nodes.<id>.output`. */
export function logicData(scope: ExpressionScope): Record<string, unknown> {
  const nodes: Record<string, { output: Json }> = {};
  for (const [id, output] of scope.nodes) nodes[id] = { output };
  return {
    input: scope.input,
    trigger: scope.trigger,
    nodes,
    run: scope.run,
    workspace: scope.workspace,
    vars: scope.vars,
  };
}

/** Shapes already checked (rules are config: the same object is evaluated again and again). */
const checkedRules = new WeakSet<object>();

export function evaluateLogic(rule: Json, scope: ExpressionScope): Json {
  if (typeof rule === 'object' && rule !== null && !checkedRules.has(rule)) {
    const problem = checkRuleShape(rule);
    if (problem !== undefined)
      throw new StepFailure(`The condition is too large: ${problem}`, 'condition_budget');
    checkedRules.add(rule);
  }
  const outer = operationsLeft;
  operationsLeft = logicBudgets.maxOperations;
  try {
    return jsonLogic.apply(rule as jsonLogic.RulesLogic, logicData(scope)) as Json;
  } catch (error) {
    // A stack overflow inside json-logic is a budget problem too, not a crash of the caller.
    if (error instanceof RangeError)
      throw new StepFailure(`The condition failed: ${error.message}`, 'condition_budget');
    throw error;
  } finally {
    operationsLeft = outer;
  }
}

export function truthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}
