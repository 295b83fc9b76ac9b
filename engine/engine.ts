import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { asError, RunAborted } from './errors.js';
import { RunExecution, type RunEvent } from './execution.js';
import type { Json } from './json.js';
import type { NodeServices, OutboundGuard } from './node.js';
import type { RunObserver } from './observer.js';
import { planWorkflow, type WorkflowPlan } from './plan.js';
import type { NodeRegistry } from './registry.js';
import type { Sandbox, SandboxLimits, SandboxSession } from './sandbox/types.js';
import type { ClaimedRun, NewRun, RunRecord, RunStore, StepRecord } from './store.js';
import { finishedRunStatuses } from './store.js';
import { prepareSignalResume } from './waits.js';

export interface EngineOptions {
  registry: NodeRegistry;
  store: RunStore;
  sandbox: Sandbox;
  services?: NodeServices;
  /** This executor's identity in the `executors` table. */
  executorId?: string;
  /** Default 5 MB. */
  maxStepOutputBytes?: number;
  /** Sandbox limits for a workspace (defaults come from the sandbox itself). */
  sandboxLimits?: (workspaceId: string) => Partial<SandboxLimits> | undefined;
  /** A run found held by an executor silent for this long is taken over. */
  staleAfterMs?: number;
  now?: () => Date;
  /** Asked before every step of a node with `outbound` set (the safety policy); never for other steps. */
  beforeOutbound?: OutboundGuard;
  /** Metrics, logs and traces of runs and steps (engine/observer.ts); none by default. */
  observer?: RunObserver;
}

export interface StartRunRequest {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  input: Json;
  /** Which trigger started the run; default the document's first trigger. */
  triggerNodeId?: string;
  /** Create the run held by this executor, to execute it right away. */
  claim?: boolean;
  retryOf?: string;
  steps?: StepRecord[];
  id?: string;
}

export const DEFAULT_MAX_STEP_OUTPUT_BYTES = 5 * 1024 * 1024;
const MAX_CACHED_PLANS = 500;

type RunListener = (event: RunEvent) => void;

/**
 * The workflow engine: turns a published version and an input into a durable run. It knows
 * no HTTP and no queue: a dispatcher decides where `execute` is called.
 */
export class Engine {
  readonly executorId: string;
  private readonly plans = new Map<string, WorkflowPlan>();
  private readonly executions = new Map<string, RunExecution>();
  private readonly inFlight = new Set<string>();
  private readonly listeners = new Set<RunListener>();
  /** Runs executing before they are stored: settles when their first commit created them. */
  private readonly unsaved = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(private readonly options: EngineOptions) {
    this.executorId = options.executorId ?? `executor-${randomUUID()}`;
    this.now = options.now ?? (() => new Date());
  }

  get registry(): NodeRegistry {
    return this.options.registry;
  }

  get store(): RunStore {
    return this.options.store;
  }

  /** Live step and run updates, for the run viewer and synchronous webhooks. */
  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The compiled plan of a version, cached: versions are immutable. */
  async planFor(versionId: string): Promise<WorkflowPlan> {
    const cached = this.plans.get(versionId);
    if (cached) return cached;
    const version = await this.options.store.getVersion(versionId);
    if (!version) throw new Error(`Workflow version ${versionId} does not exist`);
    const plan = planWorkflow(versionId, version.document, this.options.registry);
    if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(versionId, plan);
    return plan;
  }

  /** Record a new run (the first commit). With `claim`, it is created held by this executor. */
  async createRun(request: StartRunRequest): Promise<RunRecord> {
    return this.options.store.createRun(await this.newRun(request));
  }

  /**
   * A new run held by this executor that is not stored yet: `execute(run.id, claimed)` runs it
   * and its first commit creates it with everything done so far — one commit for a short run.
   * Acknowledge nothing about it before `persist(run.id)` settles.
   */
  async prepareUnsaved(request: Omit<StartRunRequest, 'claim'>): Promise<ClaimedRun> {
    const unsaved = await this.newRun({ ...request, claim: true });
    const now = this.now();
    // uuid v7: run ids sort by creation time like every other run id.
    const id = unsaved.id ?? uuidv7();
    const run: RunRecord = {
      id,
      workspaceId: unsaved.workspaceId,
      workflowId: unsaved.workflowId,
      versionId: unsaved.versionId,
      status: 'running',
      triggerNodeId: unsaved.triggerNodeId,
      input: unsaved.input,
      error: null,
      output: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      deadlineAt: unsaved.deadlineAt,
      wakeAt: null,
      executorId: this.executorId,
      cancelRequested: false,
      retryOf: unsaved.retryOf ?? null,
    };
    let settle: (error?: unknown) => void = () => undefined;
    const persisted = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(asError(error)));
    });
    persisted.then(
      () => this.unsaved.delete(id),
      () => this.unsaved.delete(id),
    );
    this.unsaved.set(id, persisted);
    this.settleUnsaved.set(id, settle);
    return { run, steps: [], unsaved: { ...unsaved, id, createdAt: now } };
  }

  private readonly settleUnsaved = new Map<string, (error?: unknown) => void>();

  /**
   * Settles once the run is stored: at once for a stored run; for one prepared unsaved, after
   * its first commit, which this asks for now (not only at its next side effect, wait or end).
   */
  persist(runId: string): Promise<void> {
    const execution = this.executions.get(runId);
    if (execution) return execution.persistNow();
    return this.unsaved.get(runId) ?? Promise.resolve();
  }

  private async newRun(request: StartRunRequest): Promise<NewRun> {
    const plan = await this.planFor(request.versionId);
    const triggerNodeId = request.triggerNodeId ?? plan.triggers[0];
    if (!triggerNodeId || !plan.triggers.includes(triggerNodeId)) {
      throw new Error(`The workflow has no trigger node "${request.triggerNodeId ?? ''}"`);
    }
    const timeoutMs = plan.document.settings.timeoutMs;
    return {
      id: request.id,
      workspaceId: request.workspaceId,
      workflowId: request.workflowId,
      versionId: request.versionId,
      triggerNodeId,
      input: request.input,
      deadlineAt: timeoutMs ? new Date(this.now().getTime() + timeoutMs) : null,
      retryOf: request.retryOf ?? null,
      steps: request.steps,
      claimFor: request.claim ? this.executorId : undefined,
    };
  }

  /**
   * Execute a run until it finishes or waits. Claims it first unless the caller passes a run
   * it already holds. Returns undefined when another live executor holds the run or it is over.
   */
  async execute(runId: string, claimed?: ClaimedRun): Promise<RunRecord | undefined> {
    // One execution of a run per process: a sweep and a timer may both ask for it.
    if (this.inFlight.has(runId)) return undefined;
    this.inFlight.add(runId);
    let run: RunRecord | undefined;
    try {
      run = await this.executeHeld(runId, claimed);
    } catch (error) {
      // An unsaved run that failed before its first commit will never be stored.
      this.settleUnsaved.get(runId)?.(error);
      throw error;
    } finally {
      this.inFlight.delete(runId);
      this.settleUnsaved.delete(runId);
    }
    if (run && run.status !== 'running') {
      this.emit({ type: 'run', runId, workspaceId: run.workspaceId, run });
      this.observe(run);
    }
    return run;
  }

  private async executeHeld(runId: string, claimed?: ClaimedRun): Promise<RunRecord | undefined> {
    const taken =
      claimed ??
      (await this.options.store.claimRun(runId, this.executorId, {
        staleAfterMs: this.options.staleAfterMs ?? 30_000,
      }));
    if (!taken) return undefined;
    if (finishedRunStatuses.has(taken.run.status)) return taken.run;
    // Resuming a run with signal waits: settle them (signal or timer, exactly once) first.
    if (this.options.store.waits && taken.steps.length > 0)
      await prepareSignalResume(this.options.store.waits, taken.run, taken.steps, this.now());
    const plan = await this.planFor(taken.run.versionId);
    const limits = {
      ...this.options.sandboxLimits?.(taken.run.workspaceId),
      ...plan.document.settings.sandbox,
    };
    const session = this.options.sandbox.session(taken.run.workspaceId, limits);
    // Nodes with their own limits get their own session (on an isolate of their memory size), opened once.
    const sized = new Map<string, SandboxSession>();
    const sessionWith = (own: { memoryMb?: number; cpuTimeoutMs?: number }): SandboxSession => {
      const key = `${own.memoryMb ?? ''}:${own.cpuTimeoutMs ?? ''}`;
      let sizedSession = sized.get(key);
      if (!sizedSession) {
        sizedSession = this.options.sandbox.session(taken.run.workspaceId, { ...limits, ...own });
        sized.set(key, sizedSession);
      }
      return sizedSession;
    };
    const execution = new RunExecution(plan, taken.run, taken.steps, {
      store: this.options.store,
      session,
      sessionWith,
      services: this.options.services ?? {},
      maxStepOutputBytes:
        plan.document.settings.maxStepOutputBytes ??
        this.options.maxStepOutputBytes ??
        DEFAULT_MAX_STEP_OUTPUT_BYTES,
      emit: (event) => this.emit(event),
      now: this.now,
      waits: this.options.store.waits,
      unsaved: taken.unsaved,
      beforeOutbound: this.options.beforeOutbound,
      observer: this.options.observer,
    });
    if (taken.unsaved) {
      const settle = this.settleUnsaved.get(runId);
      execution.persisted.then(
        () => settle?.(),
        (error: unknown) => settle?.(error),
      );
    }
    this.executions.set(runId, execution);
    if (taken.run.cancelRequested) execution.abort.abort(new RunAborted('cancelled'));
    try {
      this.options.observer?.runStarted?.(taken.run, taken.steps.length > 0);
    } catch {
      // An observer's failure must not break a run.
    }
    try {
      return await execution.execute();
    } finally {
      this.executions.delete(runId);
      session.close();
      for (const sizedSession of sized.values()) sizedSession.close();
    }
  }

  /** Cancel a run: aborts it here if it runs here, and records the request for everyone else. */
  async cancel(runId: string): Promise<RunRecord | undefined> {
    const local = this.executions.get(runId);
    const record = await this.options.store.requestCancel(runId);
    if (local) local.abort.abort(new RunAborted('cancelled'));
    if (record && record.status === 'cancelled') {
      this.emit({ type: 'run', runId, workspaceId: record.workspaceId, run: record });
      // Cancelled while idle (queued or waiting): no execution announces its end.
      if (!local) this.observe(record);
    }
    return record;
  }

  /** Steps of a run executing here as they are now, committed or not (for live viewers). */
  liveSteps(runId: string): StepRecord[] {
    return this.executions.get(runId)?.currentSteps() ?? [];
  }

  isExecuting(runId: string): boolean {
    return this.inFlight.has(runId);
  }

  /** Abort a run running here because another process asked (queue mode). */
  abortLocal(runId: string): boolean {
    const local = this.executions.get(runId);
    if (!local) return false;
    local.abort.abort(new RunAborted('cancelled'));
    return true;
  }

  get runningCount(): number {
    return this.inFlight.size;
  }

  private observe(run: RunRecord): void {
    try {
      this.options.observer?.runEnded?.(run);
    } catch {
      // An observer's failure must not break a run.
    }
  }

  private emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break a run.
      }
    }
  }
}
