import type { Knex } from 'knex';
import type { WorkflowDocument } from '../../engine/document.js';
import { DomainError } from '../../engine/errors.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { policyViolations, type PolicyViolation, type SafetyPolicy } from './policy.js';
import { policyStoreFor } from './store.js';

/** A violation as the editor shows problems: on the node, with the path highlighted. */
export function violationIssue(document: WorkflowDocument, violation: PolicyViolation) {
  const index = document.nodes.findIndex((n) => n.id === violation.nodeId);
  return {
    code: 'safety_policy',
    message: violation.message,
    nodeId: violation.nodeId,
    nodeIds: violation.path,
    path: ['nodes', index],
  };
}

export function violationsOf(
  document: WorkflowDocument,
  registry: NodeRegistry,
  policy: SafetyPolicy,
): PolicyViolation[] {
  return policyViolations(document, registry, policy);
}

/**
 * Publishing checks the workspace safety policy: a workflow where an outbound node can be reached
 * from a trigger without passing the required guardrails is refused (400, code `safety_policy`),
 * naming each node and a path, in the `issues` shape the canvas shows on nodes.
 */
export async function assertSafetyPolicy(
  knex: Knex,
  registry: NodeRegistry,
  workspaceId: string,
  document: WorkflowDocument,
): Promise<void> {
  const state = await policyStoreFor(knex).get(workspaceId);
  if (!state.enabled) return;
  const violations = policyViolations(document, registry, state.policy);
  const first = violations[0];
  if (!first) return;
  throw new DomainError(
    'invalid',
    'safety_policy',
    `The workspace safety policy refuses this workflow: ${first.message}`,
    undefined,
    {
      invalidParams: violations.map((v) => ({ name: `nodes.${v.nodeId}`, reason: v.message })),
      issues: violations.map((v) => violationIssue(document, v)),
      violations: violations.map((v) => ({
        nodeId: v.nodeId,
        kind: v.kind,
        missing: v.requirement.type,
        path: v.path,
      })),
    },
  );
}
