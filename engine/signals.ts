import { createHash } from 'node:crypto';
import type { Dispatcher } from './dispatch.js';
import type { Engine } from './engine.js';
import { StepFailure } from './errors.js';
import type { Json } from './json.js';
import type { RuntimeLogger } from './runtime.js';
import type { RunRecord } from './store.js';
import { finishedRunStatuses } from './store.js';
import {
  CHILD_RUN_SIGNAL,
  MAX_CHILD_DEPTH,
  childRunIdsOf,
  childSignalKey,
  type ChildRunResult,
  type ChildRunsService,
  type DeliveredSignal,
  type WaitStore,
} from './waits.js';

export interface SignalOptions {
  /** Deliver only to waits whose `match` (from `ctx.wait({ signal: { match } })`) this accepts. */
  matches?: (match: Json) => boolean;
}

/**
 * Signals and child runs for a Runtime (engine/waits.ts explains the protocol). Resumes are
 * dispatched through the runtime's dispatcher — the same way new runs travel, in-process or BullMQ —
 * so the process that receives a signal (the API, in queue mode) executes nothing itself.
 */
export class Signals {
  constructor(
    private readonly engineOf: () => Engine,
    private readonly dispatcher: () => Dispatcher,
    private readonly logger: RuntimeLogger,
    /** The runtime's cancel: cancels a run's children too. */
    private readonly cancelRun: (runId: string) => Promise<unknown>,
  ) {}

  private get engine(): Engine {
    return this.engineOf();
  }

  private get waits(): WaitStore | undefined {
    return this.engine.store.waits;
  }

  /** Deliver a signal to every matching open wait; each wait is taken exactly once. */
  async signal(
    workspaceId: string,
    kind: string,
    key: string,
    payload: Json,
    options: SignalOptions = {},
  ): Promise<DeliveredSignal[]> {
    const waits = this.waits;
    if (!waits) return [];
    const delivered: DeliveredSignal[] = [];
    for (const wait of await waits.findOpen(workspaceId, kind, key)) {
      if (options.matches && !this.safeMatch(options.matches, wait.match)) continue;
      const taken = await waits.deliver(wait.waitId, payload);
      if (!taken) continue;
      delivered.push(taken);
      if (taken.wake) {
        try {
          await this.dispatcher().dispatch({
            runId: taken.runId,
            workspaceId,
            workflowId: taken.workflowId,
            versionId: taken.versionId,
            reason: 'wake',
            wakeAt: Date.now(),
          });
        } catch (error) {
          // The run is due in the database: the sweeper dispatches it once the queue is back.
          this.logger.error({ err: error, runId: taken.runId }, 'dispatching a signalled run failed');
        }
      }
    }
    return delivered;
  }

  /** A child run ended (or was cancelled): tell the step that waits for it. */
  async childFinished(run: RunRecord): Promise<void> {
    if (!run.parentRunId || !finishedRunStatuses.has(run.status)) return;
    const result: ChildRunResult = {
      runId: run.id,
      status: run.status,
      output: run.output,
      error: run.error,
    };
    const key = childSignalKey(run.parentRunId, run.parentNodeId ?? '');
    try {
      await this.signal(run.workspaceId, CHILD_RUN_SIGNAL, key, result as unknown as Json, {
        matches: (match) => childRunIdsOf(match).includes(run.id),
      });
    } catch (error) {
      this.logger.error(
        { err: error, runId: run.id, parentRunId: run.parentRunId },
        'signalling the parent run failed',
      );
    }
  }

  /** Unfinished runs a run started, to cancel with it. */
  async openChildren(runId: string): Promise<string[]> {
    return (await this.waits?.openChildren(runId)) ?? [];
  }

  /** What `flow.subWorkflow` and `logic.forEach` use to start child runs. */
  childRuns(): ChildRunsService {
    return {
      start: async ({ workspaceId, workflowId, input, parent, key }) => {
        const waits = this.waits;
        if (!waits)
          throw new StepFailure('This Revflow process cannot start sub-workflows (no wait store)', 'config');
        const target = await waits.callableWorkflow(workspaceId, workflowId);
        if (!target) {
          throw new StepFailure(
            `Workflow ${workflowId} does not exist in this workspace or has no published version`,
            'config',
            'config.workflowId',
          );
        }
        const depth = (await waits.depthOf(parent.runId)) + 1;
        if (depth > MAX_CHILD_DEPTH) {
          throw new StepFailure(
            `Sub-workflow calls are nested more than ${MAX_CHILD_DEPTH} deep (does a workflow call itself?)`,
            'depth',
          );
        }
        // A stable id per (parent run, node, item): a crash-resumed step finds its child again.
        const id = childRunId(parent.runId, parent.nodeId, key ?? '');
        const existing = await this.engine.store.getRun(id);
        const run =
          existing ??
          (await this.engine.createRun({
            id,
            workspaceId,
            workflowId: target.workflowId,
            versionId: target.versionId,
            input,
          }));
        if (!existing?.parentRunId) await waits.setParent(run.id, parent);
        if (run.status === 'queued') {
          await this.dispatcher().dispatch({
            runId: run.id,
            workspaceId,
            workflowId: run.workflowId,
            versionId: run.versionId,
            reason: 'start',
          });
        }
        return { runId: run.id, workflowId: run.workflowId, versionId: run.versionId };
      },
      results: async (runIds) => (runIds.length > 0 ? ((await this.waits?.finishedRuns(runIds)) ?? []) : []),
      cancel: async (runIds) => {
        for (const runId of runIds) await this.cancelRun(runId);
      },
    };
  }

  private safeMatch(matches: (match: Json) => boolean, match: Json): boolean {
    try {
      return matches(match);
    } catch {
      return false;
    }
  }
}

/** A uuid (version 8, name-based) derived from the parent step and the item. */
export function childRunId(parentRunId: string, nodeId: string, key: string): string {
  const hex = createHash('sha256').update(`${parentRunId}\u0000${nodeId}\u0000${key}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
