import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import type { WorkItem, WorkItemInput, WorkItemsService } from '../../nodes/services.js';

interface WorkItemRow {
  id: string;
  workspace_id: string;
  title: string;
  description: string;
  status: string;
  priority: WorkItemInput['priority'];
  assignee: string | null;
  due_at?: Date | null;
  requester?: string | null;
  data: Json;
  source_key: string | null;
  run_id: string | null;
  created_at: Date;
}

const tableOf = (kind: 'task' | 'ticket'): 'tasks' | 'tickets' => (kind === 'task' ? 'tasks' : 'tickets');

export function presentWorkItem(kind: 'task' | 'ticket', row: WorkItemRow): WorkItem {
  return {
    id: row.id,
    kind,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    ...(row.assignee ? { assignee: row.assignee } : {}),
    ...(row.due_at ? { dueAt: new Date(row.due_at).toISOString() } : {}),
    ...(row.requester ? { requester: row.requester } : {}),
    data: row.data,
    ...(row.run_id ? { runId: row.run_id } : {}),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** What a person may set a work item's status to, per kind. */
export const workItemStatuses = {
  task: ['open', 'in_progress', 'done'],
  ticket: ['open', 'pending', 'closed'],
} as const;

/** Revflow's own tasks and tickets, written by nodes and listed by the API. */
export class WorkItemStore implements WorkItemsService {
  constructor(private readonly knex: Knex) {}

  async create(
    kind: 'task' | 'ticket',
    workspaceId: string,
    item: WorkItemInput,
    source: { key: string; runId?: string },
  ): Promise<{ item: WorkItem; created: boolean }> {
    const table = tableOf(kind);
    const row = {
      workspace_id: workspaceId,
      title: item.title,
      description: item.description,
      priority: item.priority,
      assignee: item.assignee ?? null,
      ...(kind === 'task'
        ? { due_at: item.dueAt ? new Date(item.dueAt) : null }
        : { requester: item.requester ?? null }),
      data: JSON.stringify(item.data),
      source_key: source.key,
      // Null when a person made it outside a run (Voice-to-Action review).
      run_id: source.runId ?? null,
    };
    const [inserted] = (await this.knex(table)
      .insert(row)
      .onConflict(['workspace_id', 'source_key'])
      .ignore()
      .returning('*')) as WorkItemRow[];
    if (inserted) return { item: presentWorkItem(kind, inserted), created: true };
    const existing = (await this.knex(table)
      .where({ workspace_id: workspaceId, source_key: source.key })
      .first()) as WorkItemRow;
    return { item: presentWorkItem(kind, existing), created: false };
  }

  /** Set the status of one item of the workspace; undefined when it has no such item. */
  async setStatus(
    kind: 'task' | 'ticket',
    workspaceId: string,
    id: string,
    status: string,
  ): Promise<WorkItem | undefined> {
    const [row] = (await this.knex(tableOf(kind))
      .where({ workspace_id: workspaceId, id })
      .update({ status })
      .returning('*')) as WorkItemRow[];
    return row && presentWorkItem(kind, row);
  }

  async list(
    kind: 'task' | 'ticket',
    workspaceId: string,
    options: { status?: string; limit: number; offset: number },
  ): Promise<WorkItem[]> {
    const query = this.knex(tableOf(kind)).where({ workspace_id: workspaceId });
    if (options.status) void query.andWhere({ status: options.status });
    const rows = (await query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit)
      .offset(options.offset)) as WorkItemRow[];
    return rows.map((row) => presentWorkItem(kind, row));
  }
}
