import { createHash } from 'node:crypto';

/**
 * The id of the run a schedule tick starts, derived from (workflow, trigger node, tick time):
 * every process that fires the tick computes the same id, and the run table's primary key
 * lets only the first insert through, so a tick starts one run however often it is delivered.
 *
 * Laid out as a uuid v7 whose time is the tick's (run ids sort by time, DESIGN §5 / ids.ts)
 * and whose other bits come from a SHA-256 of the three parts.
 */
export function tickRunId(workflowId: string, nodeId: string, tickMs: number): string {
  const hash = createHash('sha256').update(`${workflowId}\n${nodeId}\n${tickMs}`).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.floor(tickMs)), 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
