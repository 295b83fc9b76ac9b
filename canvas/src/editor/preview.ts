import type { JsonValue } from '../api/types.js';
import type { RunSample } from './expressions.js';

/**
 * The live preview of a `{{ }}` template against the last run's data (issue 18). Field paths
 * (`input.body.email`, `nodes.score.output.value`, `trigger.items[0].id`) are resolved here,
 * in the browser and without running anything; any other expression is computed by the
 * sandbox when the step runs, and the preview says so instead of guessing.
 */

export type Preview =
  | { kind: 'value'; value: JsonValue | undefined; text: string }
  | { kind: 'runtime'; text: string }
  | { kind: 'error'; text: string };

const PATH = /^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*|\[\d+\]|\["[^"\\]*"\]|\['[^'\\]*'\])*$/;
const STEP = /\??\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\["([^"\\]*)"\]|\['([^'\\]*)'\]/g;

export interface PreviewScope {
  input: JsonValue | undefined;
  trigger: JsonValue | undefined;
  nodes: Record<string, { output: JsonValue | undefined }>;
  vars: JsonValue | undefined;
}

export function scopeFor(nodeId: string, sample: RunSample | undefined, vars: JsonValue | undefined): PreviewScope {
  const nodes: PreviewScope['nodes'] = {};
  for (const [id, output] of sample?.outputs ?? []) nodes[id] = { output };
  return { input: sample?.inputs.get(nodeId), trigger: sample?.trigger, nodes, vars };
}

function resolvePath(expression: string, scope: PreviewScope): { found: boolean; value: JsonValue | undefined } {
  const head = /^[A-Za-z_$][\w$]*/.exec(expression)![0];
  if (!(head in scope)) return { found: false, value: undefined };
  let value: unknown = (scope as unknown as Record<string, unknown>)[head];
  for (const match of expression.slice(head.length).matchAll(STEP)) {
    const key = match[1] ?? match[3] ?? match[4] ?? Number(match[2]);
    if (value === null || typeof value !== 'object') return { found: true, value: undefined };
    value = (value as Record<string | number, unknown>)[key];
  }
  return { found: true, value: value as JsonValue | undefined };
}

const show = (value: JsonValue | undefined): string =>
  value === undefined ? 'undefined' : typeof value === 'string' ? value : JSON.stringify(value, null, 2);

export function previewTemplate(text: string, scope: PreviewScope): Preview {
  const parts = text.split(/(\{\{[\s\S]*?\}\})/);
  const expressions = parts.filter((part) => part.startsWith('{{') && part.endsWith('}}'));
  if (expressions.length === 0) {
    if (text.includes('{{')) return { kind: 'error', text: 'A "{{" is not closed with "}}"' };
    return { kind: 'value', value: text, text };
  }
  const values: Array<JsonValue | undefined> = [];
  for (const part of expressions) {
    const expression = part.slice(2, -2).trim();
    if (expression === '') return { kind: 'error', text: 'An empty {{ }}' };
    if (!PATH.test(expression))
      return { kind: 'runtime', text: `“${expression}” is computed by the sandbox when the step runs` };
    const resolved = resolvePath(expression, scope);
    if (!resolved.found) return { kind: 'error', text: `“${expression.split(/[.[?]/)[0]}” is not in scope` };
    values.push(resolved.value);
  }
  // A value that is exactly one template keeps its type (DESIGN §3).
  if (parts.filter((p) => p !== '').length === 1) return { kind: 'value', value: values[0], text: show(values[0]) };
  let index = 0;
  const joined = parts
    .map((part) => {
      if (!(part.startsWith('{{') && part.endsWith('}}'))) return part;
      const value = values[index++];
      return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    })
    .join('');
  return { kind: 'value', value: joined, text: joined };
}
