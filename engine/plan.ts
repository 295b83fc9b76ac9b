import type { EdgeSpec, NodeSpec, OnError, RetryPolicy, WorkflowDocument } from './document.js';
import { retryPolicySchema } from './document.js';
import { inputPortsOf, outputPortsOf, type AnyNodeType } from './node.js';
import type { NodeRegistry } from './registry.js';
import { compileConfigTemplates, type CompiledConfig } from './templates.js';

/** Everything the executor needs about one node, computed once per workflow version. */
export interface NodePlan {
  id: string;
  spec: NodeSpec;
  type: AnyNodeType;
  inbound: EdgeSpec[];
  outbound: EdgeSpec[];
  /** Config templates; `undefined` when the config holds none. */
  templates: CompiledConfig | undefined;
  /** The parsed config (defaults applied) when it holds no templates. */
  staticConfig: unknown;
  retry: RetryPolicy;
  timeoutMs: number | undefined;
  onError: OnError;
  join: 'all' | 'any';
  isSink: boolean;
}

export interface WorkflowPlan {
  versionId: string;
  document: WorkflowDocument;
  nodes: Map<string, NodePlan>;
  triggers: string[];
}

export class PlanError extends Error {}

export function planWorkflow(
  versionId: string,
  document: WorkflowDocument,
  registry: NodeRegistry,
): WorkflowPlan {
  const nodes = new Map<string, NodePlan>();
  const triggers: string[] = [];
  for (const spec of document.nodes) {
    const type = registry.get(spec.type);
    if (!type) throw new PlanError(`Node "${spec.id}": unknown node type "${spec.type}"`);
    const templates = compileConfigTemplates(spec.config, type.rawFields ?? []);
    let staticConfig: unknown = undefined;
    if (templates.expressions.length === 0) {
      const parsed = type.config.safeParse(spec.config);
      if (!parsed.success) {
        throw new PlanError(`Node "${spec.id}": ${parsed.error.issues[0]?.message ?? 'invalid config'}`);
      }
      staticConfig = parsed.data;
    }
    const joinOption = type.join ?? 'all';
    nodes.set(spec.id, {
      id: spec.id,
      spec,
      type,
      inbound: [],
      outbound: [],
      templates: templates.expressions.length > 0 ? templates : undefined,
      staticConfig,
      retry: retryPolicySchema.parse({ ...type.retry, ...spec.retry }),
      timeoutMs: spec.timeoutMs ?? type.timeoutMs,
      onError: spec.onError ?? 'fail',
      join: typeof joinOption === 'function' ? joinOption(staticConfig ?? spec.config) : joinOption,
      isSink: true,
    });
    if (inputPortsOf(type).length === 0) triggers.push(spec.id);
  }
  for (const edge of document.edges) {
    const from = nodes.get(edge.from);
    const to = nodes.get(edge.to);
    if (!from || !to) throw new PlanError(`Edge ${edge.from} → ${edge.to} points to an unknown node`);
    from.outbound.push(edge);
    from.isSink = false;
    to.inbound.push(edge);
  }
  return { versionId, document, nodes, triggers };
}

export function portsOf(plan: NodePlan, config: unknown): readonly string[] {
  return outputPortsOf(plan.type, config);
}
