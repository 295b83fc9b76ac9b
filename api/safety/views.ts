import type { Knex } from 'knex';
import { z } from 'zod';
import type { WorkflowDocument } from '../../engine/document.js';
import type { NodeRegistry } from '../../engine/registry.js';
import type { DecisionRow } from './log.js';
import type { SafetyPolicy } from './policy.js';
import { violationsOf } from './publish.js';

/** What the safety routes answer with: decisions as the API shows them, and workflows a policy stops. */
export const decisionSchema = z
  .object({
    id: z.string(),
    runId: z.string().nullable(),
    workflowId: z.string().nullable(),
    nodeId: z.string(),
    check: z.string(),
    verdict: z.string(),
    reason: z.string(),
    entities: z.record(z.string(), z.number()),
    redactions: z.number(),
    at: z.string(),
  })
  .meta({ id: 'SafetyDecision' });

export const present = (row: DecisionRow) => ({
  id: row.id,
  runId: row.run_id,
  workflowId: row.workflow_id,
  nodeId: row.node_id,
  check: row.check,
  verdict: row.verdict,
  reason: row.reason,
  entities: row.entities,
  redactions: row.redactions,
  at: row.created_at.toISOString(),
});

export const affectedSchema = z.array(
  z.object({
    workflowId: z.string(),
    name: z.string(),
    violations: z.array(
      z.object({ nodeId: z.string(), kind: z.string(), missing: z.string(), path: z.array(z.string()) }),
    ),
  }),
);

/** Active workflows whose running version breaks `policy`: the run-time guard stops their sends. */
export async function affectedWorkflows(
  knex: Knex,
  registry: NodeRegistry,
  workspaceId: string,
  policy: SafetyPolicy,
) {
  const rows = await knex('workflows as w')
    .join('workflow_versions as v', 'v.id', 'w.active_version_id')
    .where({ 'w.workspace_id': workspaceId, 'w.active': true })
    .select<Array<{ id: string; name: string; document: WorkflowDocument }>>('w.id', 'w.name', 'v.document');
  const affected = [];
  for (const row of rows) {
    const violations = violationsOf(row.document, registry, policy);
    if (violations.length > 0) {
      affected.push({
        workflowId: row.id,
        name: row.name,
        violations: violations.map((v) => ({
          nodeId: v.nodeId,
          kind: v.kind,
          missing: v.requirement.type,
          path: v.path,
        })),
      });
    }
  }
  return affected;
}
