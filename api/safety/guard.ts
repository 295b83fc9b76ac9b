import type { Knex } from 'knex';
import { StepFailure } from '../../engine/errors.js';
import type { OutboundGuard, OutboundStepRequest } from '../../engine/node.js';
import { recordDecision } from './log.js';
import { describeRequirement, firedPathViolation, requirementsFor } from './policy.js';
import type { PolicyState } from './store.js';
import { policyStoreFor } from './store.js';

function check(
  state: PolicyState,
  request: OutboundStepRequest,
): { reason: string; missing: string } | undefined {
  if (!state.enabled) return undefined;
  for (const requirement of requirementsFor(state.policy, request.node.outbound)) {
    const path = firedPathViolation(request.document, request.node.id, request.fired, requirement);
    if (path) {
      return {
        missing: requirement.type,
        reason: `The safety policy requires ${describeRequirement(requirement)} before every ${request.node.outbound} step; this run reached "${request.node.id}" without it (path: ${path.join(' → ')})`,
      };
    }
  }
  return undefined;
}

async function refuse(
  knex: Knex,
  request: OutboundStepRequest,
  verdict: { reason: string; missing: string },
): Promise<never> {
  await recordDecision(knex, {
    workspaceId: request.run.workspaceId,
    runId: request.run.id,
    workflowId: request.run.workflowId,
    nodeId: request.node.id,
    check: 'policy',
    verdict: 'fail',
    reason: verdict.reason,
    entities: { [verdict.missing]: 1 },
    redactions: 0,
  });
  throw new StepFailure(verdict.reason, 'safety_policy');
}

/**
 * The engine's run-time enforcement of the safety policy (engine option `beforeOutbound`): every
 * outbound step checks the fired path against the workspace's policy now — so versions published
 * before the policy, imports and sub-workflows are held to it too. Answers synchronously from the
 * policy cache; a block is logged, emits `safety.blocked` and fails the step with `safety_policy`.
 */
export function safetyOutboundGuard(knex: Knex): OutboundGuard {
  const store = policyStoreFor(knex);
  return (request) => {
    const cached = store.cached(request.run.workspaceId);
    if (cached) {
      const verdict = check(cached, request);
      return verdict ? refuse(knex, request, verdict) : undefined;
    }
    return store.get(request.run.workspaceId).then((state) => {
      const verdict = check(state, request);
      return verdict ? refuse(knex, request, verdict) : undefined;
    });
  };
}
