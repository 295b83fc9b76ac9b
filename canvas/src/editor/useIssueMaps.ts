import type { Edge } from '@xyflow/react';
import { useMemo } from 'react';
import type { ValidationIssue } from '../api/types.js';
import { shortMessage } from './RevflowNode.js';

/**
 * Where each validation problem is drawn: on its node, or — for an edge problem (it has an
 * `edgeIndex`, the edge's place in the saved document) — on the edge, red and labelled.
 */
export function useIssueMaps(
  issues: ValidationIssue[],
  edges: Edge[],
): { issuesByNode: Map<string, ValidationIssue[]>; drawnEdges: Edge[] } {
  const issuesByNode = useMemo(() => {
    const map = new Map<string, ValidationIssue[]>();
    for (const issue of issues)
      if (issue.nodeId && issue.edgeIndex === undefined)
        map.set(issue.nodeId, [...(map.get(issue.nodeId) ?? []), issue]);
    return map;
  }, [issues]);
  const drawnEdges = useMemo(() => {
    const byEdge = new Map<number, string>();
    for (const issue of issues)
      if (issue.edgeIndex !== undefined && !byEdge.has(issue.edgeIndex))
        byEdge.set(issue.edgeIndex, shortMessage(issue.message));
    if (byEdge.size === 0) return edges;
    return edges.map((edge, index) => {
      const problem = byEdge.get(index);
      return problem
        ? { ...edge, className: 'edge--invalid', label: problem, ariaLabel: `Edge problem: ${problem}` }
        : edge;
    });
  }, [edges, issues]);
  return { issuesByNode, drawnEdges };
}
