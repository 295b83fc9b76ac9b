import type { NodeRegistry } from '../../../engine/registry.js';
import { validateWorkflow } from '../../../engine/validate.js';
import { MAPPERS, importN8nWorkflow } from './mapper.js';
import { asArray, asRecord, asString } from './params.js';

/**
 * The importer's target (issue 19): of real n8n workflows built only from the core nodes, the share
 * that imports with every node mapped and passes validation. Shared by the test and the bench.
 */

/** Only core node types (sticky notes aside), and Code nodes in JavaScript. */
export function usesOnlyCoreNodes(workflow: unknown): boolean {
  return asArray(asRecord(workflow).nodes).every((value) => {
    const node = asRecord(value);
    const type = asString(node.type) ?? '';
    if (type === 'n8n-nodes-base.stickyNote') return true;
    if (!type.startsWith('n8n-nodes-base.') || !(type.slice(15) in MAPPERS)) return false;
    return (
      type !== 'n8n-nodes-base.code' ||
      (asString(asRecord(node.parameters).language) ?? 'javaScript') === 'javaScript'
    );
  });
}

export interface CorpusOutcome {
  allMapped: boolean;
  valid: boolean;
  nodes: number;
  mapped: number;
  issues: string[];
  reasons: string[];
}

export function importOutcome(workflow: unknown, registry: NodeRegistry): CorpusOutcome {
  const { document, report } = importN8nWorkflow(workflow);
  const validation = validateWorkflow(document, registry);
  return {
    allMapped: report.summary.partial === 0 && report.summary.unmapped === 0,
    valid: validation.ok,
    nodes: report.summary.nodes,
    mapped: report.summary.mapped,
    issues: validation.issues.map((issue) => issue.message),
    reasons: report.nodes.flatMap((node) => node.reasons.map((reason) => `${node.name}: ${reason}`)),
  };
}
