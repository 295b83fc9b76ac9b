import type { Knex } from 'knex';
import type { Json, JsonObject } from '../../engine/json.js';
import { evaluateLogic, truthy } from '../../engine/logic.js';
import type { Runtime, RuntimeLogger } from '../../engine/runtime.js';
import { eventConfigSchema } from '../../nodes/triggers/event.js';
import { EVENT_SIGNAL, eventMatches } from '../../nodes/flow/wait-for-event.js';
import { query } from '../db/pg-connection.js';
import { ActiveTriggerCache, DEFAULT_TRIGGER_CACHE_MS, type ActiveTrigger } from './active-triggers.js';
import { eventRunId } from './run-ids.js';
import { startRunOnce } from './start-once.js';

/** An event as a `trigger.event` node outputs it (and its run gets as input). */
export interface ProductEvent {
  id: string;
  name: string;
  data: JsonObject;
  occurredAt: string;
  receivedAt: string;
}

/** A run an event started. */
export interface EventRun {
  id: string;
  workflowId: string;
  nodeId: string;
}

export interface StoredEvent extends ProductEvent {
  /** Null while its runs are being started (or when that was interrupted). */
  runs: EventRun[] | null;
}

export interface PostedEvent {
  id: string;
  name: string;
  data?: JsonObject;
  occurredAt?: string;
}

export interface IngestResult {
  event: ProductEvent;
  duplicate: boolean;
  runs: EventRun[];
}

interface EventRow {
  event_id: string;
  name: string;
  data: JsonObject;
  occurred_at: Date;
  received_at: Date;
  runs: EventRun[] | null;
}

const COLUMNS = 'event_id, name, data, occurred_at, received_at, runs';

// First delivery wins; a repeat returns no row and reads the stored one.
const INSERT_SQL = `
INSERT INTO events (workspace_id, event_id, name, data, occurred_at, received_at)
VALUES ($1, $2, $3, $4::jsonb, COALESCE($5::timestamptz, now()), now())
ON CONFLICT (workspace_id, event_id) DO NOTHING
RETURNING ${COLUMNS}`;

/** The event as JSON: the run's input and what a filter sees. */
function eventJson(event: ProductEvent): JsonObject {
  return {
    id: event.id,
    name: event.name,
    data: event.data,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
  };
}

function present(row: EventRow): StoredEvent {
  return {
    id: row.event_id,
    name: row.name,
    data: row.data,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    runs: row.runs,
  };
}

/**
 * Product events (`trigger.event`): stored before anything starts, then one run per matching
 * trigger of an active workflow, under an id derived from (workspace, event, workflow, node).
 */
export class EventService {
  private readonly triggers: ActiveTriggerCache;

  constructor(
    private readonly knex: Knex,
    private readonly runtime: () => Runtime,
    private readonly logger: RuntimeLogger,
    cacheMs = DEFAULT_TRIGGER_CACHE_MS,
  ) {
    this.triggers = new ActiveTriggerCache(knex, 'trigger.event', cacheMs);
  }

  async ingest(workspaceId: string, posted: PostedEvent): Promise<IngestResult> {
    const inserted = await query<EventRow>(this.knex, {
      name: 'revflow_insert_event',
      text: INSERT_SQL,
      values: [
        workspaceId,
        posted.id,
        posted.name,
        JSON.stringify(posted.data ?? {}),
        posted.occurredAt ?? null,
      ],
    });
    const duplicate = inserted.length === 0;
    const row = inserted[0] ?? (await this.find(workspaceId, posted.id));
    if (!row) throw new Error(`Event ${posted.id} was neither stored nor found`);
    const { runs: recorded, ...event } = present(row);
    if (recorded) return { event, duplicate, runs: recorded };
    // New, or a repeat of a delivery that stopped before recording its runs (a crash): the
    // derived run ids make starting again start only what is missing.
    const runs = await this.startRuns(workspaceId, event);
    // `flow.waitForEvent` steps waiting for this event resume (engine/waits.ts).
    const delivered = eventJson(event);
    await this.runtime().signal(workspaceId, EVENT_SIGNAL, event.name, delivered, {
      matches: (match) => eventMatches(match, delivered),
    });
    await query(this.knex, {
      name: 'revflow_record_event_runs',
      text: 'UPDATE events SET runs = $3::jsonb WHERE workspace_id = $1 AND event_id = $2 AND runs IS NULL',
      values: [workspaceId, event.id, JSON.stringify(runs)],
    });
    return { event, duplicate, runs };
  }

  async list(workspaceId: string, options: { limit: number; name?: string }): Promise<StoredEvent[]> {
    const rows = await query<EventRow>(this.knex, {
      text: `SELECT ${COLUMNS} FROM events WHERE workspace_id = $1 AND ($2::text IS NULL OR name = $2)
        ORDER BY received_at DESC, id DESC LIMIT $3`,
      values: [workspaceId, options.name ?? null, options.limit],
    });
    return rows.map(present);
  }

  private async find(workspaceId: string, eventId: string): Promise<EventRow | undefined> {
    const rows = await query<EventRow>(this.knex, {
      name: 'revflow_find_event',
      text: `SELECT ${COLUMNS} FROM events WHERE workspace_id = $1 AND event_id = $2`,
      values: [workspaceId, eventId],
    });
    return rows[0];
  }

  private matches(trigger: ActiveTrigger, event: ProductEvent): boolean {
    const config = eventConfigSchema.safeParse(trigger.config);
    if (!config.success || config.data.event !== event.name) return false;
    if (config.data.filter === undefined) return true;
    try {
      const input = eventJson(event);
      const scope = {
        input,
        trigger: input,
        nodes: new Map<string, Json>(),
        run: null,
        workspace: null,
        vars: {},
      };
      return truthy(evaluateLogic(config.data.filter, scope));
    } catch (error) {
      // A filter that cannot be evaluated matches nothing rather than failing the post.
      this.logger.warn(
        { err: error, workflowId: trigger.workflowId, nodeId: trigger.nodeId },
        'event filter failed',
      );
      return false;
    }
  }

  private async startRuns(workspaceId: string, event: ProductEvent): Promise<EventRun[]> {
    const targets = (await this.triggers.list(workspaceId)).filter((trigger) => this.matches(trigger, event));
    const receivedAtMs = Date.parse(event.receivedAt);
    const runs: EventRun[] = [];
    for (const target of targets) {
      const { runId } = await startRunOnce(this.runtime(), {
        id: eventRunId(workspaceId, event.id, target.workflowId, target.nodeId, receivedAtMs),
        workspaceId,
        workflowId: target.workflowId,
        versionId: target.versionId,
        triggerNodeId: target.nodeId,
        input: eventJson(event),
      });
      runs.push({ id: runId, workflowId: target.workflowId, nodeId: target.nodeId });
    }
    return runs;
  }
}
