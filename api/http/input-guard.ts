import type { RequestHandler } from 'express';
import { ProblemError, type InvalidParam } from './problem.js';

/**
 * One guard for every parsed request (JSON bodies, query strings, route params, webhook
 * bodies): hostile text that Postgres cannot store or that blows the stack of recursive code
 * further in (zod, json-logic, JSON.stringify) is refused here with a 400 naming the field,
 * instead of a 500 somewhere deep. The walk is iterative, so the guard itself has no stack limit.
 */

/** Deeper than this is refused. A workflow document needs ~10; json-logic rules a few dozen. */
export const MAX_INPUT_DEPTH = 64;

interface Frame {
  value: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
}

function pathOf(frame: Frame, location: string): string {
  const parts: string[] = [];
  for (let at: Frame | undefined = frame; at; at = at.parent)
    if (at.key !== undefined) parts.push(String(at.key));
  return [location, ...parts.reverse()].join('.');
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why this text may not be stored, or undefined when it is fine. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (loneSurrogate.test(text)) return 'must be valid Unicode (it holds a lone surrogate such as \\ud800)';
  return undefined;
}

/** The first hostile spot in `value` (a parsed JSON value, query or params), or undefined. */
export function inputProblem(value: unknown, location: string): InvalidParam | undefined {
  const stack: Frame[] = [{ value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === 'string') {
      const reason = textProblem(current);
      if (reason) return { name: pathOf(frame, location), reason };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (frame.depth >= MAX_INPUT_DEPTH) {
      return { name: pathOf(frame, location), reason: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1)
        stack.push({ value: current[index], key: index, parent: frame, depth: frame.depth + 1 });
      continue;
    }
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index]!;
      const reason = textProblem(key);
      if (reason) return { name: pathOf(frame, location), reason: `has a key that ${reason}` };
      stack.push({
        value: (current as Record<string, unknown>)[key],
        key,
        parent: frame,
        depth: frame.depth + 1,
      });
    }
  }
  return undefined;
}

/** Throw a 400 naming the field when `value` holds hostile input. */
export function assertCleanInput(value: unknown, location: string): void {
  const problem = inputProblem(value, location);
  if (!problem) return;
  throw new ProblemError(400, 'Validation failed', `${problem.name}: ${problem.reason}`, {
    type: 'https://revflow.dev/problems/validation',
    invalidParams: [problem],
  });
}

/** After express.json: the body and the query of every /api request. */
export function inputGuard(): RequestHandler {
  return (req, _res, next) => {
    try {
      assertCleanInput(req.body, 'body');
      assertCleanInput(req.query, 'query');
      next();
    } catch (error) {
      next(error);
    }
  };
}
