/**
 * What guardrail nodes reach the world through (`ctx.services.safety`, implemented in api/safety):
 * the safety log, the suppression list and recorded consent. The log never receives raw text —
 * only the check, the verdict, a reason and entity types with counts.
 */
export type SafetyCheck = 'pii' | 'promptInjection' | 'content' | 'compliance' | 'urls' | 'policy';
export type SafetyVerdict = 'pass' | 'fail';

export interface SafetyDecision {
  workspaceId: string;
  runId: string | null;
  workflowId: string | null;
  nodeId: string;
  check: SafetyCheck;
  verdict: SafetyVerdict;
  reason: string;
  /** Entity or rule type → how many were found, e.g. `{ email: 2, phone: 1 }`. */
  entities: Record<string, number>;
  /** How many values were redacted, masked or hashed. */
  redactions: number;
}

export interface SafetyService {
  /** Write one decision to the safety log (and emit `safety.blocked` on a fail). */
  record(decision: SafetyDecision): Promise<void>;
  /** The addresses of `emails` on the workspace's suppression list (lower-cased). */
  suppressed(workspaceId: string, emails: readonly string[]): Promise<Set<string>>;
  /** The addresses of `emails` with recorded consent (lower-cased). */
  consented(workspaceId: string, emails: readonly string[]): Promise<Set<string>>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    safety?: SafetyService;
  }
}
