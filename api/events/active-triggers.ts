import type { Knex } from 'knex';
import { query } from '../db/pg-connection.js';

/** One trigger node of an active workflow's active version. */
export interface ActiveTrigger {
  workflowId: string;
  workflowName: string;
  versionId: string;
  nodeId: string;
  /** As stored; callers parse it with the node type's schema. */
  config: unknown;
}

// Only the trigger nodes of the wanted type travel: Postgres picks them out of the documents.
const LIST_SQL = `
SELECT w.id AS workflow_id, w.name AS workflow_name, v.id AS version_id,
  n.node->>'id' AS node_id, n.node->'config' AS config
FROM workflows AS w
JOIN workflow_versions AS v ON v.id = w.active_version_id
CROSS JOIN LATERAL jsonb_array_elements(v.document->'nodes') AS n(node)
WHERE w.workspace_id = $1 AND w.active AND w.deleted_at IS NULL AND n.node->>'type' = $2
ORDER BY w.id, n.node->>'id'`;

export const DEFAULT_TRIGGER_CACHE_MS = 3_000;

/**
 * The active triggers of one type in a workspace, cached per workspace for a few seconds:
 * an event burst or a failure storm costs one query per workspace, and activating or
 * deactivating a workflow is seen within `ttlMs`.
 */
export class ActiveTriggerCache {
  private readonly entries = new Map<string, { at: number; triggers: Promise<ActiveTrigger[]> }>();

  constructor(
    private readonly knex: Knex,
    private readonly nodeType: string,
    private readonly ttlMs = DEFAULT_TRIGGER_CACHE_MS,
  ) {}

  list(workspaceId: string): Promise<ActiveTrigger[]> {
    const now = Date.now();
    const cached = this.entries.get(workspaceId);
    if (cached && now - cached.at < this.ttlMs) return cached.triggers;
    const triggers = this.load(workspaceId);
    this.entries.set(workspaceId, { at: now, triggers });
    // A failed load is not cached: the next call asks again.
    triggers.catch(() => {
      if (this.entries.get(workspaceId)?.triggers === triggers) this.entries.delete(workspaceId);
    });
    // Bounded: expired entries go once the map grows.
    if (this.entries.size > 10_000) {
      for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
    }
    return triggers;
  }

  private async load(workspaceId: string): Promise<ActiveTrigger[]> {
    const rows = await query<{
      workflow_id: string;
      workflow_name: string;
      version_id: string;
      node_id: string;
      config: unknown;
    }>(this.knex, { name: 'revflow_active_triggers', text: LIST_SQL, values: [workspaceId, this.nodeType] });
    return rows.map((row) => ({
      workflowId: row.workflow_id,
      workflowName: row.workflow_name,
      versionId: row.version_id,
      nodeId: row.node_id,
      config: row.config ?? {},
    }));
  }
}
