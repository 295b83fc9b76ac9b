import type { Knex } from 'knex';
import type { WorkflowDocument } from '../../engine/document.js';
import type { NodeFamily } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { DomainError } from '../../engine/errors.js';
import { effectivePlan } from './accounts.js';
import { billingFor } from './hub.js';
import { cheapestPlanWith, featureTitle, getPlan, type FeatureId, type PlanId } from './plans.js';

/**
 * Feature gates (server-side): which node types need which plan feature. A node type is gated
 * by its exact type, else by its type prefix (the feature folders: `salesboard.*`, `voice.*`),
 * else by its family. Ungated types work on every plan.
 */
const byType: Readonly<Record<string, FeatureId>> = {
  'flow.delay': 'workflows',
  'flow.approval': 'workflows',
  'flow.waitForEvent': 'workflows',
  'notify.chat': 'multi_channel',
  'sms.send': 'multi_channel',
};

const byPrefix: ReadonlyArray<readonly [string, FeatureId]> = [
  ['salesboard.', 'ai_salesboard'],
  ['knowledge.', 'knowledge_fusion'],
  ['voice.', 'voice_to_action'],
  ['safety.', 'ai_safety'],
  ['integration.', 'custom_integrations'],
];

const byFamily: Partial<Readonly<Record<NodeFamily, FeatureId>>> = {
  ai: 'basic_ai',
  safety: 'ai_safety',
};

export function featureOf(type: string, family: NodeFamily | undefined): FeatureId | undefined {
  const exact = byType[type];
  if (exact) return exact;
  const prefixed = byPrefix.find(([prefix]) => type.startsWith(prefix));
  if (prefixed) return prefixed[1];
  return family ? byFamily[family] : undefined;
}

export interface GatedNode {
  nodeId: string;
  type: string;
  feature: FeatureId;
  /** The cheapest plan that has the feature. */
  requiredPlan: PlanId;
}

/** The nodes of a document that the plan does not allow. */
export function gatedNodes(
  document: { nodes: ReadonlyArray<{ id: string; type: string }> },
  registry: NodeRegistry,
  planId: PlanId,
): GatedNode[] {
  const plan = getPlan(planId);
  const gated: GatedNode[] = [];
  for (const node of document.nodes) {
    const feature = featureOf(node.type, registry.get(node.type)?.family);
    if (!feature || plan.features.includes(feature)) continue;
    gated.push({
      nodeId: node.id,
      type: node.type,
      feature,
      requiredPlan: cheapestPlanWith(feature)?.id ?? 'enterprise',
    });
  }
  return gated;
}

/**
 * Publishing checks the plan: a node of a gated family on a plan without its feature is
 * refused (a 402 over HTTP), naming the node and the plan that has it. Trying it records an
 * expansion opportunity (add_feature).
 */
export async function assertPublishAllowed(
  knex: Knex,
  registry: NodeRegistry,
  workspaceId: string,
  document: WorkflowDocument,
): Promise<void> {
  const billing = billingFor(knex);
  const account = await billing.accounts.get(workspaceId);
  const planId = effectivePlan(account);
  const gated = gatedNodes(document, registry, planId);
  const first = gated[0];
  if (!first) return;
  for (const node of gated) {
    await billing.expansions.featureTried(account, planId, node.feature, {
      nodeId: node.nodeId,
      nodeType: node.type,
    });
  }
  const plan = getPlan(planId);
  const required = getPlan(first.requiredPlan);
  throw new DomainError(
    'quota',
    'feature_gated',
    `The node "${first.nodeId}" (${first.type}) needs ${featureTitle(first.feature)}, which the ${plan.title} plan does not include; upgrade to ${required.title} to publish it`,
    undefined,
    {
      plan: planId,
      requiredPlan: first.requiredPlan,
      feature: first.feature,
      nodeId: first.nodeId,
      invalidParams: gated.map((node) => ({
        name: `nodes.${node.nodeId}.type`,
        reason: `${node.type} needs ${featureTitle(node.feature)} (the ${getPlan(node.requiredPlan).title} plan)`,
      })),
    },
  );
}
