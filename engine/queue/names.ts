import type { ConnectionOptions } from 'bullmq';

/** Where queue mode lives in Redis. One name per deployment; tests use a fresh one each. */
export interface QueueTopology {
  redisUrl: string;
  /** The runs queue; schedule ticks use `<name>-schedule`. No ':' (BullMQ forbids it). */
  queueName: string;
  /** BullMQ key prefix. Default 'revflow'. */
  prefix?: string;
}

export const RUN_JOB = 'run';
export const TICK_JOB = 'tick';

/** Job data of a run job: ids only, the state lives in Postgres. */
export interface RunJobData {
  runId: string;
  workspaceId: string;
  workflowId?: string;
  versionId?: string;
  /** A new run: it counts against the workflow's rate limit. */
  start: boolean;
}

export function prefixOf(topology: QueueTopology): string {
  return topology.prefix ?? 'revflow';
}

export function ticksQueueName(topology: QueueTopology): string {
  return `${topology.queueName}-schedule`;
}

/** Namespace of Revflow's own keys and channels (limits, events) next to BullMQ's. */
export function namespaceOf(topology: QueueTopology): string {
  return `${prefixOf(topology)}:${topology.queueName}`;
}

/** BullMQ opens its own connections from these options (a blocking one per worker). */
export function connectionOf(topology: QueueTopology): ConnectionOptions {
  return { url: topology.redisUrl };
}
