import type { RunRecord, StepRecord } from '../../engine/store.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** A run as the API shows it. Executor internals stay inside. */
export function presentRun(run: RunRecord) {
  return {
    id: run.id,
    workspaceId: run.workspaceId,
    workflowId: run.workflowId,
    versionId: run.versionId,
    status: run.status,
    triggerNodeId: run.triggerNodeId,
    input: run.input,
    output: run.output,
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    wakeAt: iso(run.wakeAt),
    retryOf: run.retryOf,
  };
}

export function presentStep(step: StepRecord) {
  return {
    nodeId: step.nodeId,
    status: step.status,
    attempts: step.attempts,
    input: step.input,
    output: step.output,
    ports: step.ports,
    error: step.error,
    logs: step.logs,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    durationMs:
      step.startedAt && step.finishedAt ? step.finishedAt.getTime() - step.startedAt.getTime() : null,
  };
}
