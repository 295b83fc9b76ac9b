import type { Json } from '../../../engine/json.js';
import type { NodeContext, Routed } from '../../../engine/node.js';
import type { SafetyCheck } from '../service.js';

export interface Finding {
  /** Entity or rule type: `email`, `ignore_instructions`, `blocked_term`, ... */
  type: string;
  count: number;
  /** What the guardrail did with them. */
  action: string;
}

export interface Verdict {
  verdict: 'pass' | 'fail';
  reason: string;
  findings: Finding[];
  redactions?: number;
  /** Extra output members of the check (the redacted text, a score). */
  extra?: Record<string, Json>;
}

/** Every guardrail node has these two ports: `pass` carries on, `fail` is the other way. */
export const guardrailPorts = ['pass', 'fail'] as const;

/**
 * Record the decision in the safety log (counts only, never raw text) and route the output:
 * `{ verdict, reason, findings, redactions, ...extra }` on `pass` or `fail`.
 */
export async function decide(
  ctx: NodeContext<unknown>,
  check: SafetyCheck,
  result: Verdict,
): Promise<Routed> {
  const entities: Record<string, number> = {};
  for (const finding of result.findings)
    entities[finding.type] = (entities[finding.type] ?? 0) + finding.count;
  const redactions = result.redactions ?? 0;
  await ctx.services.safety?.record({
    workspaceId: ctx.run.workspaceId,
    runId: ctx.run.id,
    workflowId: ctx.run.workflowId,
    nodeId: ctx.node.id,
    check,
    verdict: result.verdict,
    reason: result.reason,
    entities,
    redactions,
  });
  if (result.verdict === 'fail') ctx.log.warn(`Guardrail failed: ${result.reason}`);
  return ctx.route(result.verdict, {
    verdict: result.verdict,
    reason: result.reason,
    findings: result.findings.map((f) => ({ type: f.type, count: f.count, action: f.action })),
    redactions,
    ...result.extra,
  });
}

/** Group findings by type: `[{ type: 'email', count: 2, action: 'redact' }]`. */
export function countBy<T>(
  items: readonly T[],
  typeOf: (item: T) => string,
  actionOf: (type: string) => string,
): Finding[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(typeOf(item), (counts.get(typeOf(item)) ?? 0) + 1);
  return [...counts].map(([type, count]) => ({ type, count, action: actionOf(type) }));
}
