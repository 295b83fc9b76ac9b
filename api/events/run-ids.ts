import { createHash } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * A run id derived from its parts: a uuid v7 (time first, so run ids keep sorting by time) whose
 * other bits are a SHA-256 of the parts. Every delivery of the same cause computes the same id,
 * and the runs table's primary key lets only the first insert through.
 */
export function derivedRunId(timeMs: number, parts: readonly string[]): string {
  const hash = createHash('sha256').update(parts.join('\n')).digest();
  return v7({ msecs: Math.max(0, Math.floor(timeMs)), random: hash.subarray(0, 16) });
}

/** The run an event starts for one trigger node; the time is when the event was first received. */
export function eventRunId(
  workspaceId: string,
  eventId: string,
  workflowId: string,
  nodeId: string,
  receivedAtMs: number,
): string {
  return derivedRunId(receivedAtMs, ['event', workspaceId, eventId, workflowId, nodeId]);
}

/** The run a failed run starts for one error trigger node; the time is when it failed. */
export function errorRunId(
  failedRunId: string,
  workflowId: string,
  nodeId: string,
  failedAtMs: number,
): string {
  return derivedRunId(failedAtMs, ['error', failedRunId, workflowId, nodeId]);
}
