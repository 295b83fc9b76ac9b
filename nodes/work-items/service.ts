import type { Json } from '../../engine/json.js';

/** Tasks and tickets as nodes reach them (`api/work-items` implements the service). */

/** A task or ticket in Revflow's own tables. */
export interface WorkItemInput {
  title: string;
  description: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  assignee?: string;
  /** Tasks only. */
  dueAt?: string;
  /** Tickets only. */
  requester?: string;
  data: Json;
}

export interface WorkItem extends WorkItemInput {
  id: string;
  kind: 'task' | 'ticket';
  status: string;
  /** The run that created it. */
  runId?: string;
  createdAt: string;
}

export interface WorkItemsService {
  /**
   * Create once per `sourceKey` (the step's idempotency key): a second call with the same key
   * returns the row the first one made, so a crash-resumed step adds no duplicate.
   */
  create(
    kind: 'task' | 'ticket',
    workspaceId: string,
    item: WorkItemInput,
    source: { key: string; runId?: string },
  ): Promise<{ item: WorkItem; created: boolean }>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    workItems?: WorkItemsService;
  }
}
