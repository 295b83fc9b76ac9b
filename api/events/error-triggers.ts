import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import type { RunEvent } from '../../engine/execution.js';
import type { Runtime, RuntimeLogger } from '../../engine/runtime.js';
import type { RunRecord } from '../../engine/store.js';
import { errorConfigSchema } from '../../nodes/triggers/error.js';
import { query } from '../db/pg-connection.js';
import { ActiveTriggerCache, DEFAULT_TRIGGER_CACHE_MS } from './active-triggers.js';
import { errorRunId } from './run-ids.js';
import { startRunOnce } from './start-once.js';

const FAILED_STATUSES = new Set(['failed', 'timed_out']);

// The type of the trigger node that started a run, read from its version's document.
const TRIGGER_TYPE_SQL = `
SELECT n.node->>'type' AS type
FROM workflow_versions AS v
CROSS JOIN LATERAL jsonb_array_elements(v.document->'nodes') AS n(node)
WHERE v.id = $1 AND n.node->>'id' = $2
LIMIT 1`;

/** What a `trigger.error` run gets as its input. */
export interface ErrorTriggerOutput {
  run: {
    id: string;
    workflowId: string;
    versionId: string;
    status: string;
    error: Json;
    startedAt: string | null;
    finishedAt: string | null;
  };
  workflow: { id: string; name: string };
  [key: string]: Json;
}

export interface ErrorTriggerOptions {
  knex: Knex;
  runtime: Runtime;
  logger: RuntimeLogger;
  cacheMs?: number;
}

// Run events from the queue-mode bus arrive JSON-decoded: dates are strings there.
function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * Starts `trigger.error` workflows when a run of another workflow of the workspace fails or
 * times out. Listens to the runtime's run events, which in queue mode include every worker's,
 * so it runs in the API process. Each (failed run, workflow, node) gets one derived run id:
 * an event delivered twice, or heard by two API processes, starts one run.
 */
export class ErrorTriggerListener {
  private readonly cache: ActiveTriggerCache;
  private readonly pending = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ErrorTriggerOptions) {
    this.cache = new ActiveTriggerCache(
      options.knex,
      'trigger.error',
      options.cacheMs ?? DEFAULT_TRIGGER_CACHE_MS,
    );
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.runtime.subscribe((event) => this.onEvent(event));
  }

  /** Stop listening and wait for the runs being started. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.allSettled([...this.pending]);
  }

  private onEvent(event: RunEvent): void {
    if (event.type !== 'run' || !FAILED_STATUSES.has(event.run.status)) return;
    const work = this.handle(event.run).catch((error: unknown) => {
      this.options.logger.error(
        { err: error, runId: event.run.id },
        'starting error-trigger workflows failed',
      );
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Start every matching error-trigger workflow for a failed run; returns the run ids started. */
  async handle(failed: RunRecord): Promise<string[]> {
    const triggers = (await this.cache.list(failed.workspaceId)).filter((trigger) => {
      // Never the failed workflow itself: a failing error handler would restart itself.
      if (trigger.workflowId === failed.workflowId) return false;
      const config = errorConfigSchema.safeParse(trigger.config);
      if (!config.success) return false;
      return !config.data.workflowIds || config.data.workflowIds.includes(failed.workflowId);
    });
    if (triggers.length === 0) return [];
    // A run an error trigger started does not chain: two error handlers failing would ping-pong.
    const [trigger] = await query<{ type: string }>(this.options.knex, {
      name: 'revflow_run_trigger_type',
      text: TRIGGER_TYPE_SQL,
      values: [failed.versionId, failed.triggerNodeId],
    });
    if (trigger?.type === 'trigger.error') return [];
    const [workflow] = await query<{ name: string }>(this.options.knex, {
      name: 'revflow_workflow_name',
      text: 'SELECT name FROM workflows WHERE id = $1',
      values: [failed.workflowId],
    });
    const finishedAt = iso(failed.finishedAt);
    const input: ErrorTriggerOutput = {
      run: {
        id: failed.id,
        workflowId: failed.workflowId,
        versionId: failed.versionId,
        status: failed.status,
        error: failed.error ? { ...failed.error } : null,
        startedAt: iso(failed.startedAt),
        finishedAt,
      },
      workflow: { id: failed.workflowId, name: workflow?.name ?? '' },
    };
    // Stable across deliveries of the same failure, so the derived id is too.
    const failedAtMs = Date.parse(finishedAt ?? iso(failed.createdAt) ?? '') || 0;
    const started: string[] = [];
    for (const target of triggers) {
      try {
        const result = await startRunOnce(this.options.runtime, {
          id: errorRunId(failed.id, target.workflowId, target.nodeId, failedAtMs),
          workspaceId: failed.workspaceId,
          workflowId: target.workflowId,
          versionId: target.versionId,
          triggerNodeId: target.nodeId,
          input,
        });
        if (result.started) started.push(result.runId);
      } catch (error) {
        // One broken target does not keep the others from starting.
        this.options.logger.error(
          { err: error, runId: failed.id, workflowId: target.workflowId },
          'starting an error-trigger workflow failed',
        );
      }
    }
    return started;
  }
}

/**
 * The listener for an API server, started on its engine's runtime; undefined for a server
 * built without an engine (account-only tests pass a stand-in that must not be touched).
 */
export function startErrorTriggers(ctx: {
  knex: Knex;
  bundle: object;
  logger: RuntimeLogger;
}): ErrorTriggerListener | undefined {
  if (!('runtime' in ctx.bundle)) return undefined;
  const runtime = ctx.bundle.runtime as Runtime | undefined;
  if (typeof runtime?.subscribe !== 'function') return undefined;
  const listener = new ErrorTriggerListener({ knex: ctx.knex, runtime, logger: ctx.logger });
  listener.start();
  return listener;
}
