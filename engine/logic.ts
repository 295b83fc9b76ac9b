import jsonLogic from 'json-logic-js';
import type { Json } from './json.js';
import type { ExpressionScope } from './node.js';

/**
 * json-logic conditions (DESIGN §3), evaluated in the host: rules are data, not code.
 * Two operations are made safe once, at load: `method` (calls arbitrary methods, and so
 * reaches `Function` through `constructor`) is removed, and `var` only walks own
 * properties, never `__proto__`, `constructor` or `prototype`.
 */
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

export function evaluateLogic(rule: Json, scope: ExpressionScope): Json {
  return jsonLogic.apply(rule as jsonLogic.RulesLogic, logicData(scope)) as Json;
}

export function truthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}
