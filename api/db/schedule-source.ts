import type { Knex } from 'knex';
import type { ScheduledTrigger, ScheduleSource } from '../../engine/schedule/source.js';
import { scheduleConfigSchema } from '../../nodes/triggers/schedule.js';
import { query } from './pg-connection.js';

export interface PgScheduleSourceOptions {
  /** Told about a stored trigger whose config no longer parses (it is left out). */
  onInvalid?: (trigger: { workflowId: string; nodeId: string }, problem: string) => void;
}

// The schedule nodes of every active workflow's active version, picked out of the documents
// by Postgres: only those rows and nodes travel.
const LIST_SQL = `
SELECT w.workspace_id, w.id AS workflow_id, v.id AS version_id, n.node->>'id' AS node_id, n.node->'config' AS config
FROM workflows AS w
JOIN workflow_versions AS v ON v.id = w.active_version_id
CROSS JOIN LATERAL jsonb_array_elements(v.document->'nodes') AS n(node)
WHERE w.active AND w.deleted_at IS NULL AND n.node->>'type' = 'trigger.schedule'
ORDER BY w.id, n.node->>'id'`;

// Runs of a trigger, newest first by the workflow index; the tick time is in the run's input.
const LAST_FIRED_SQL = `
SELECT input->>'scheduledAt' AS scheduled_at FROM runs
WHERE workflow_id = $1 AND trigger_node_id = $2
ORDER BY created_at DESC, id DESC LIMIT 1`;

/** The scheduler's ScheduleSource over the workflows table (active = true, active_version_id). */
export class PgScheduleSource implements ScheduleSource {
  constructor(
    private readonly knex: Knex,
    private readonly options: PgScheduleSourceOptions = {},
  ) {}

  async listScheduled(): Promise<ScheduledTrigger[]> {
    const rows = await query<{
      workspace_id: string;
      workflow_id: string;
      version_id: string;
      node_id: string;
      config: unknown;
    }>(this.knex, { name: 'revflow_list_schedules', text: LIST_SQL });
    const triggers: ScheduledTrigger[] = [];
    for (const row of rows) {
      const parsed = scheduleConfigSchema.safeParse(row.config ?? {});
      if (!parsed.success) {
        this.options.onInvalid?.(
          { workflowId: row.workflow_id, nodeId: row.node_id },
          parsed.error.issues[0]?.message ?? 'invalid',
        );
        continue;
      }
      const { cron, timezone, everyMinutes, missedTickPolicy } = parsed.data;
      triggers.push({
        workspaceId: row.workspace_id,
        workflowId: row.workflow_id,
        versionId: row.version_id,
        nodeId: row.node_id,
        config: { cron, timezone, everyMinutes, missedTickPolicy },
      });
    }
    return triggers;
  }

  async lastFiredAt(workflowId: string, nodeId: string): Promise<Date | undefined> {
    const rows = await query<{ scheduled_at: string | null }>(this.knex, {
      name: 'revflow_schedule_last_fired',
      text: LAST_FIRED_SQL,
      values: [workflowId, nodeId],
    });
    const at = rows[0]?.scheduled_at;
    const date = at ? new Date(at) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
  }
}
