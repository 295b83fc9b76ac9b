import { createHash } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * The id of the run a schedule tick starts, derived from (workflow, trigger node, tick time):
 * every process that fires the tick computes the same id, and the run table's primary key
 * lets only the first insert through, so a tick starts one run however often it is delivered.
 * A uuid v7 whose time is the tick's (run ids sort by time) and whose other bits come from a
 * SHA-256 of the three parts.
 */
export function tickRunId(workflowId: string, nodeId: string, tickMs: number): string {
  const hash = createHash('sha256').update(`${workflowId}\n${nodeId}\n${tickMs}`).digest();
  return v7({ msecs: Math.max(0, Math.floor(tickMs)), random: hash.subarray(0, 16) });
}
