import { createContext, useContext } from 'react';
import type { Edge } from '@xyflow/react';

/** Expression completions for text fields: the scope of DESIGN §3 and the upstream nodes. */
export const ExpressionContext = createContext<string[]>([]);
export const useExpressionSuggestions = (): string[] => useContext(ExpressionContext);

export function expressionSuggestions(nodeId: string, edges: Edge[]): string[] {
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
  return [
    '{{ input }}',
    '{{ trigger }}',
    ...[...upstream].sort().map((id) => `{{ nodes.${id}.output }}`),
    '{{ run.id }}',
    '{{ workspace.id }}',
    '{{ vars. }}',
  ];
}
