import { createContext, useContext } from 'react';
import type { Edge } from '@xyflow/react';
import type { JsonValue, RunWithSteps } from '../api/types.js';

/** Expression completions for text fields: the scope of DESIGN §3 and the upstream nodes. */
export const ExpressionContext = createContext<string[]>([]);
export const useExpressionSuggestions = (): string[] => useContext(ExpressionContext);

/** What the last run of the workflow saw: per node, its step's input and output. */
export interface RunSample {
  trigger: JsonValue | undefined;
  inputs: Map<string, JsonValue>;
  outputs: Map<string, JsonValue>;
}

export function runSample(run: RunWithSteps): RunSample {
  const inputs = new Map<string, JsonValue>();
  const outputs = new Map<string, JsonValue>();
  for (const step of run.steps) {
    if (step.input !== undefined && step.input !== null) inputs.set(step.nodeId, step.input);
    if (step.output !== undefined && step.output !== null) outputs.set(step.nodeId, step.output);
  }
  return { trigger: outputs.get(run.triggerNodeId) ?? run.input, inputs, outputs };
}

const MAX_DEPTH = 4;
const MAX_FIELDS = 30;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `base.field`, `base.field.sub`, `base.list[0]`, ... of a sample value (objects and first items). */
export function fieldPaths(
  base: string,
  value: JsonValue | undefined,
  depth = 0,
  out: string[] = [],
): string[] {
  if (out.length >= MAX_FIELDS || depth >= MAX_DEPTH || value === null || typeof value !== 'object')
    return out;
  if (Array.isArray(value)) {
    if (value.length > 0) {
      out.push(`${base}[0]`);
      fieldPaths(`${base}[0]`, value[0], depth + 1, out);
    }
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    if (out.length >= MAX_FIELDS) break;
    const path = IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
    out.push(path);
    fieldPaths(path, child, depth + 1, out);
  }
  return out;
}

/** Ids of the nodes that run before `nodeId` (every node with a path to it). */
export function upstreamOf(nodeId: string, edges: Edge[]): string[] {
  const incoming = new Map<string, string[]>();
  for (const edge of edges) incoming.set(edge.target, [...(incoming.get(edge.target) ?? []), edge.source]);
  const upstream = new Set<string>();
  const stack = [...(incoming.get(nodeId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (upstream.has(id)) continue;
    upstream.add(id);
    stack.push(...(incoming.get(id) ?? []));
  }
  return [...upstream].sort();
}

/**
 * Completions for a node's expression fields: `input`, `trigger` and each upstream node's
 * output — with their real field names when the last run recorded them.
 */
export function expressionSuggestions(nodeId: string, edges: Edge[], sample?: RunSample): string[] {
  const upstream = upstreamOf(nodeId, edges);
  const direct = edges.filter((e) => e.target === nodeId).map((e) => e.source);
  const input = sample
    ? (sample.inputs.get(nodeId) ?? direct.map((id) => sample.outputs.get(id)).find((v) => v !== undefined))
    : undefined;
  const paths = [
    'input',
    ...fieldPaths('input', input),
    'trigger',
    ...fieldPaths('trigger', sample?.trigger),
  ];
  for (const id of upstream) {
    const base = IDENTIFIER.test(id) ? `nodes.${id}.output` : `nodes[${JSON.stringify(id)}].output`;
    paths.push(base, ...fieldPaths(base, sample?.outputs.get(id)));
  }
  paths.push('run.id', 'workspace.id', 'vars.');
  return [...new Set(paths)].map((path) => `{{ ${path} }}`);
}
