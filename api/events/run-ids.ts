import { createHash } from 'node:crypto';

/**
 * A run id derived from its parts, laid out as a uuid v7 (time first, so run ids keep sorting
 * by time) with the rest from a SHA-256 of the parts. Every delivery of the same cause
 * computes the same id, and the runs table's primary key lets only the first insert through.
 */
export function derivedRunId(timeMs: number, parts: readonly string[]): string {
  const hash = createHash('sha256').update(parts.join('\n')).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.floor(timeMs)), 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
