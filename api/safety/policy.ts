import { z } from 'zod';
import type { NodeSpec, WorkflowDocument } from '../../engine/document.js';
import { outboundKinds, type OutboundKind } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';

/**
 * The workspace safety policy (DESIGN §9): for each outbound kind, the guardrails every path from
 * a trigger to such a node must pass — through their `pass` port — and how strict each must be.
 */
export const guardrailTypes = [
  'safety.pii',
  'safety.promptInjection',
  'safety.content',
  'safety.compliance',
  'safety.urls',
] as const;
export type GuardrailType = (typeof guardrailTypes)[number];

const requirementSchema = z
  .object({
    type: z.enum(guardrailTypes),
    /** safety.pii: a threshold at most this (stricter = lower). */
    maxThreshold: z.number().min(0).max(1).optional(),
    /** safety.pii: these entities must not be set to `allow`. */
    entities: z.array(z.string().max(40)).max(20).optional(),
    /** safety.promptInjection: at least this sensitivity. */
    minSensitivity: z.enum(['low', 'medium', 'high']).optional(),
  })
  .meta({ id: 'SafetyRequirement' });
export type SafetyRequirement = z.infer<typeof requirementSchema>;

export const policySchema = z
  .object({
    rules: z
      .partialRecord(z.enum(outboundKinds), z.array(requirementSchema).max(5))
      .default({})
      .describe('Outbound kind (email, http, chat, ai) → the guardrails every path to it must pass'),
  })
  .meta({ id: 'SafetyPolicy' });
export type SafetyPolicy = z.infer<typeof policySchema>;

export const emptyPolicy: SafetyPolicy = { rules: {} };

export function requirementsFor(policy: SafetyPolicy, kind: OutboundKind): SafetyRequirement[] {
  return policy.rules[kind] ?? [];
}

const sensitivityRank = { low: 0, medium: 1, high: 2 } as const;

/** Does this node satisfy the requirement (type and minimum settings, read from its stored config)? */
export function qualifies(node: NodeSpec, requirement: SafetyRequirement): boolean {
  if (node.type !== requirement.type) return false;
  const config: Record<string, unknown> = node.config ?? {};
  if (requirement.maxThreshold !== undefined) {
    const threshold = config.threshold === undefined ? 0.5 : config.threshold;
    if (typeof threshold !== 'number' || threshold > requirement.maxThreshold) return false;
  }
  if (requirement.entities?.length) {
    const entities = (config.entities ?? {}) as Record<string, unknown>;
    if (typeof entities !== 'object' || requirement.entities.some((e) => entities[e] === 'allow'))
      return false;
  }
  if (requirement.minSensitivity !== undefined) {
    const sensitivity = (config.sensitivity ?? 'medium') as string;
    const rank = sensitivityRank[sensitivity as keyof typeof sensitivityRank];
    if (rank === undefined || rank < sensitivityRank[requirement.minSensitivity]) return false;
  }
  return true;
}

export function describeRequirement(r: SafetyRequirement): string {
  const parts: string[] = [r.type];
  if (r.maxThreshold !== undefined) parts.push(`threshold ≤ ${r.maxThreshold}`);
  if (r.entities?.length) parts.push(`covering ${r.entities.join(', ')}`);
  if (r.minSensitivity) parts.push(`sensitivity ≥ ${r.minSensitivity}`);
  return parts.join(' ');
}

export interface PolicyViolation {
  nodeId: string;
  nodeType: string;
  kind: OutboundKind;
  requirement: SafetyRequirement;
  /** Node ids from a trigger to the outbound node that pass no qualifying guardrail. */
  path: string[];
  message: string;
}

/**
 * Every outbound node reachable from a trigger along a path that skips a required guardrail.
 * Per requirement, a breadth-first search from the triggers that may not leave a qualifying
 * guardrail through `pass`: an outbound node it still reaches breaks the policy (O(nodes + edges)).
 */
export function policyViolations(
  document: WorkflowDocument,
  registry: NodeRegistry,
  policy: SafetyPolicy,
): PolicyViolation[] {
  const byId = new Map(document.nodes.map((n) => [n.id, n]));
  const outEdges = new Map<string, Array<{ to: string; port: string }>>();
  for (const edge of document.edges) {
    const list = outEdges.get(edge.from) ?? [];
    list.push({ to: edge.to, port: edge.fromPort ?? 'out' });
    outEdges.set(edge.from, list);
  }
  const triggers = document.nodes.filter((n) => registry.get(n.type)?.family === 'trigger').map((n) => n.id);
  const violations: PolicyViolation[] = [];
  const requirements = new Map<string, SafetyRequirement>();
  for (const kind of outboundKinds)
    for (const r of requirementsFor(policy, kind)) requirements.set(JSON.stringify(r), r);
  for (const requirement of requirements.values()) {
    const parent = new Map<string, string | null>();
    const queue: string[] = [];
    for (const t of triggers) {
      parent.set(t, null);
      queue.push(t);
    }
    while (queue.length > 0) {
      const id = queue.shift()!;
      const node = byId.get(id);
      const guarded = node !== undefined && qualifies(node, requirement);
      for (const edge of outEdges.get(id) ?? []) {
        if (guarded && edge.port === 'pass') continue;
        if (parent.has(edge.to)) continue;
        parent.set(edge.to, id);
        queue.push(edge.to);
      }
    }
    for (const node of document.nodes) {
      const kind = registry.get(node.type)?.outbound;
      if (!kind || !parent.has(node.id)) continue;
      if (!requirementsFor(policy, kind).some((r) => JSON.stringify(r) === JSON.stringify(requirement)))
        continue;
      const path: string[] = [];
      for (let at: string | null | undefined = node.id; at; at = parent.get(at)) path.unshift(at);
      violations.push({
        nodeId: node.id,
        nodeType: node.type,
        kind,
        requirement,
        path,
        message: `The ${kind} node "${node.id}" is reached without passing ${describeRequirement(requirement)} (path: ${path.join(' → ')})`,
      });
    }
  }
  return violations;
}

/**
 * The run-time check: the same rule over the edges that actually fired in this run. Walking back
 * from the outbound node along fired edges, every way back to the trigger must cross a qualifying
 * guardrail's `pass` edge. Returns the violating path (outbound node last) or undefined.
 */
export function firedPathViolation(
  document: WorkflowDocument,
  nodeId: string,
  fired: ReadonlyMap<string, readonly string[]>,
  requirement: SafetyRequirement,
): string[] | undefined {
  const byId = new Map(document.nodes.map((n) => [n.id, n]));
  const inbound = new Map<string, Array<{ from: string; port: string }>>();
  for (const edge of document.edges) {
    const list = inbound.get(edge.to) ?? [];
    list.push({ from: edge.from, port: edge.fromPort ?? 'out' });
    inbound.set(edge.to, list);
  }
  const child = new Map<string, string | null>([[nodeId, null]]);
  const queue = [nodeId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const edges = (inbound.get(id) ?? []).filter((e) => fired.get(e.from)?.includes(e.port));
    if (edges.length === 0 && id !== nodeId) {
      // A start of the run's data flow (its trigger): reached without a qualifying pass.
      const path: string[] = [];
      for (let at: string | null | undefined = id; at; at = child.get(at)) path.push(at);
      return path;
    }
    for (const edge of edges) {
      const from = byId.get(edge.from);
      if (from && edge.port === 'pass' && qualifies(from, requirement)) continue;
      if (child.has(edge.from)) continue;
      child.set(edge.from, id);
      queue.push(edge.from);
    }
  }
  return undefined;
}
