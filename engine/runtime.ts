import { InProcessDispatcher, type Dispatcher, type DispatchJob } from './dispatch.js';
import { Engine, type EngineOptions, type StartRunRequest } from './engine.js';
import type { RunEvent } from './execution.js';
import { limitsFromSettings, type JobLimits } from './queue/limits.js';
import type { RunEventBus } from './queue/run-event-bus.js';
import type { RunRecord, StepRecord } from './store.js';
import { Signals, type SignalOptions } from './signals.js';
import type { DeliveredSignal } from './waits.js';
import type { Json } from './json.js';
import { finishedRunStatuses } from './store.js';

export interface RuntimeLogger {
  info(data: object, message: string): void;
  warn(data: object, message: string): void;
  error(data: object, message: string): void;
}

export interface RuntimeOptions extends EngineOptions {
  /** Default: in-process with `concurrency` slots. */
  dispatcher?: (execute: (job: DispatchJob) => Promise<unknown>) => Dispatcher;
  concurrency?: number;
  /** How often to heartbeat and look for runs to recover. */
  sweepIntervalMs?: number;
  logger?: RuntimeLogger;
  /**
   * False for the API process in queue mode (DESIGN §2): it creates and dispatches runs but
   * executes none; their events reach it over `events`. Default true.
   */
  executes?: boolean;
  /** Queue mode: run events and cancellations between processes. Closed by `stop()`. */
  events?: RunEventBus;
  /** How often `waitForRun` re-reads the run in case an event was lost. Default 2 s with `events`, else never. */
  waitPollMs?: number;
  /**
   * Asked before every new run; throws to refuse it (a plan's run quota). Synchronous when it
   * can answer from memory, so the hot path pays no promise for it.
   */
  admit?: (request: { workspaceId: string; workflowId: string }) => void | Promise<void>;
}

type RunListener = (event: RunEvent) => void;

const silentLogger: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The engine with a dispatcher and a sweeper: what `npm start`, a worker and the CLI run.
 * The sweeper heartbeats this executor, resumes waits that are due and takes over runs whose
 * executor died, so no run stays "running" forever.
 */
export class Runtime {
  readonly engine: Engine;
  readonly dispatcher: Dispatcher;
  readonly executes: boolean;
  private readonly signals: Signals;
  private readonly waiters = new Map<string, Set<(run: RunRecord) => void>>();
  private readonly listeners = new Set<RunListener>();
  private readonly runListeners = new Map<string, Set<RunListener>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly logger: RuntimeLogger;
  private readonly staleAfterMs: number;
  private readonly local: boolean;

  constructor(private readonly options: RuntimeOptions) {
    this.logger = options.logger ?? silentLogger;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.executes = options.executes ?? true;
    // Sub-workflow calls reach the runtime through the services (engine/signals.ts).
    const signals = new Signals(
      () => this.engine,
      () => this.dispatcher,
      this.logger,
      (runId) => this.cancel(runId),
    );
    this.signals = signals;
    // Extend the caller's services object rather than copy it: callers (tests, the API) may add
    // services to it after the runtime is built.
    const services = options.services ?? {};
    services.childRuns = signals.childRuns();
    this.engine = new Engine({ ...options, staleAfterMs: this.staleAfterMs, services });
    const execute = (job: DispatchJob): Promise<unknown> => this.runJob(job);
    this.dispatcher = options.dispatcher
      ? options.dispatcher(execute)
      : new InProcessDispatcher(
          execute,
          options.concurrency ?? 64,
          (error, job) => this.logger.error({ err: error, runId: job.runId }, 'run execution failed'),
          { limitsOf: (job) => this.limitsFor(job) },
        );
    this.local = this.dispatcher instanceof InProcessDispatcher;
    this.engine.subscribe((event) => {
      this.deliver(event);
      // Other processes hear what this one's engine does (worker → API).
      this.options.events?.publish(event);
    });
  }

  /** Heartbeat, recover, resume: call once the store is ready. */
  async start(): Promise<void> {
    const bus = this.options.events;
    if (bus) {
      if (this.executes) await bus.listen({ cancel: (runId) => this.abortWhenHere(runId) });
      else await bus.listen({ event: (event) => this.deliver(event) });
    }
    await this.sweep();
    const interval = this.options.sweepIntervalMs ?? Math.max(1_000, Math.floor(this.staleAfterMs / 3));
    this.sweepTimer = setInterval(() => void this.sweep(), interval);
    this.sweepTimer.unref();
  }

  /**
   * Live run and step events: this process's engine, and in the queue-mode API also every
   * worker's (over the event bus). For run viewers and synchronous webhooks.
   */
  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events of one run only: O(1) per event however many runs are watched at once. */
  subscribeRun(runId: string, listener: RunListener): () => void {
    let listeners = this.runListeners.get(runId);
    if (!listeners) {
      listeners = new Set();
      this.runListeners.set(runId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.runListeners.get(runId) === listeners) this.runListeners.delete(runId);
    };
  }

  /**
   * Start a run. In-process it is created held by this executor and executed here, unless its
   * workflow has limits (then it queues like any other). In queue mode it is created queued
   * and handed to the queue.
   */
  async startRun(
    request: Omit<StartRunRequest, 'claim'>,
    options: { deferCreate?: boolean } = {},
  ): Promise<RunRecord> {
    const admitted = this.options.admit?.(request);
    if (admitted) await admitted;
    const limits = await this.limitsOf(request.workflowId, request.versionId);
    const claim = this.local && this.executes && !limits;
    if (
      claim &&
      options.deferCreate === true &&
      !request.steps?.length &&
      this.dispatcher instanceof InProcessDispatcher &&
      this.dispatcher.hasFreeSlot
    ) {
      // Executed right here and stored by its first commit: see Engine.prepareUnsaved.
      const claimed = await this.engine.prepareUnsaved(request);
      const { run } = claimed;
      await this.dispatcher.dispatch({
        runId: run.id,
        workspaceId: run.workspaceId,
        workflowId: run.workflowId,
        versionId: run.versionId,
        reason: 'start',
        claimed,
      });
      return run;
    }
    const run = await this.engine.createRun({ ...request, claim });
    const job: DispatchJob = {
      runId: run.id,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      versionId: run.versionId,
      reason: 'start',
      claimed: claim ? { run, steps: request.steps ?? [] } : undefined,
    };
    if (this.local) {
      await this.dispatcher.dispatch(job);
      return run;
    }
    try {
      await this.dispatcher.dispatch(job);
    } catch (error) {
      // The run is committed: the sweeper hands it to the queue once the queue is back.
      this.logger.error({ err: error, runId: run.id }, 'dispatching the run failed; the sweeper will retry');
    }
    return run;
  }

  /** Retry a finished run from its failed step: succeeded steps are kept, the rest runs again. */
  async retryRun(runId: string, versionId?: string): Promise<RunRecord> {
    const previous = await this.engine.store.getRun(runId);
    if (!previous) throw new Error(`Run ${runId} does not exist`);
    const targetVersion = versionId ?? previous.versionId;
    const plan = await this.engine.planFor(targetVersion);
    const kept: StepRecord[] = (await this.engine.store.getSteps(runId))
      .filter((step) => step.status === 'succeeded' && plan.nodes.has(step.nodeId))
      .map((step) => ({ ...step, runId: '' }));
    return this.startRun({
      workspaceId: previous.workspaceId,
      workflowId: previous.workflowId,
      versionId: targetVersion,
      input: previous.input,
      triggerNodeId: plan.nodes.has(previous.triggerNodeId) ? previous.triggerNodeId : undefined,
      retryOf: previous.id,
      steps: kept,
    });
  }

  /** Record the cancellation; the executor holding the run aborts it (here, or told over the bus). */
  async cancel(runId: string): Promise<RunRecord | undefined> {
    const record = await this.engine.cancel(runId);
    if (this.options.events && record?.status === 'running' && !this.engine.isExecuting(runId)) {
      await this.options.events.publishCancel(runId);
    }
    // Sub-workflow runs it waits for go with it; a child cancelled while idle tells its parent.
    if (record) for (const child of await this.signals.openChildren(runId)) await this.cancel(child);
    if (record?.status === 'cancelled') await this.signals.childFinished(record);
    return record;
  }

  /**
   * Resume the steps waiting for (kind, key) in a workspace — approvals, events, child runs — with
   * `payload` as `ctx.resume.payload`. Each wait is taken once, even with racing signals or its
   * timer firing; resumes go through the dispatcher like new runs. Returns what was delivered.
   */
  signal(
    workspaceId: string,
    kind: string,
    key: string,
    payload: Json,
    options?: SignalOptions,
  ): Promise<DeliveredSignal[]> {
    return this.signals.signal(workspaceId, kind, key, payload, options);
  }

  /** Resolve when the run finishes (or, with `orWaiting`, suspends). */
  async waitForRun(
    runId: string,
    options: { orWaiting?: boolean; timeoutMs?: number } = {},
  ): Promise<RunRecord> {
    const isSettled = (run: RunRecord): boolean =>
      finishedRunStatuses.has(run.status) || (options.orWaiting === true && run.status === 'waiting');
    let listener: ((run: RunRecord) => void) | undefined;
    const settled = new Promise<RunRecord>((resolve) => {
      listener = (run) => {
        if (isSettled(run)) resolve(run);
      };
    });
    const listeners = this.waiters.get(runId) ?? new Set();
    listeners.add(listener!);
    this.waiters.set(runId, listeners);
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    try {
      // It may have ended before we listened — unless it is executing here right now, in
      // which case its end is still to be announced (the hot path of synchronous webhooks).
      if (!this.engine.isExecuting(runId)) {
        const current = await this.engine.store.getRun(runId);
        if (!current) throw new Error(`Run ${runId} does not exist`);
        if (isSettled(current)) return current;
      }
      const pollMs = this.options.waitPollMs ?? (this.options.events ? 2_000 : undefined);
      if (pollMs !== undefined) {
        // Pub/sub may drop an event (a reconnect): the database has the last word.
        poll = setInterval(() => {
          this.engine.store.getRun(runId).then(
            (run) => run && listener!(run),
            () => undefined,
          );
        }, pollMs);
      }
      if (options.timeoutMs === undefined) return await settled;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Run ${runId} did not finish within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      });
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      listeners.delete(listener!);
      if (listeners.size === 0) this.waiters.delete(runId);
    }
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.dispatcher.close();
    await this.options.events?.close();
  }

  /** One sweep: heartbeat, then dispatch every run that needs an executor. */
  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepOnce()
      .catch((error: unknown) => this.logger.error({ err: error }, 'sweep failed'))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /**
   * Execute one dispatched job: the dispatcher (in-process) or the queue worker calls this.
   * A run that suspends with a wake time is dispatched again, delayed to that time.
   */
  async runJob(job: DispatchJob): Promise<RunRecord | undefined> {
    if (!this.executes) throw new Error('This process executes no runs (queue mode API)');
    const run = await this.engine.execute(job.runId, job.claimed);
    if (run?.parentRunId) await this.signals.childFinished(run);
    if (run?.status === 'waiting' && run.wakeAt) {
      const wakeAt = run.wakeAt.getTime();
      await this.dispatcher.dispatch(
        {
          runId: run.id,
          workspaceId: run.workspaceId,
          workflowId: run.workflowId,
          versionId: run.versionId,
          reason: 'wake',
          wakeAt,
        },
        { delayMs: Math.max(0, wakeAt - Date.now()) },
      );
    }
    return run;
  }

  /** The per-workflow limits that apply to a job, from its version's settings. */
  async limitsFor(job: DispatchJob): Promise<JobLimits | undefined> {
    if (job.workflowId !== undefined && job.versionId !== undefined)
      return this.limitsOf(job.workflowId, job.versionId);
    const run = job.claimed?.run ?? (await this.engine.store.getRun(job.runId));
    return run ? this.limitsOf(run.workflowId, run.versionId) : undefined;
  }

  private async limitsOf(workflowId: string, versionId: string): Promise<JobLimits | undefined> {
    const plan = await this.engine.planFor(versionId);
    return limitsFromSettings(workflowId, plan.document.settings);
  }

  private async sweepOnce(): Promise<void> {
    const store = this.engine.store;
    await store.heartbeat(this.engine.executorId);
    const runs = await store.findRecoverableRuns({
      staleAfterMs: this.staleAfterMs,
      now: new Date(),
      limit: 200,
    });
    for (const run of runs) {
      if (this.engine.isExecuting(run.id)) continue;
      this.logger.info({ runId: run.id, status: run.status }, 'recovering run');
      await this.dispatcher.dispatch({
        runId: run.id,
        workspaceId: run.workspaceId,
        reason: 'recover',
        status: run.status,
      });
    }
  }

  /**
   * A cancellation from another process. The run may be claimed here but not yet executing
   * (between the claim and the start): try again for a moment.
   */
  private abortWhenHere(runId: string, attempt = 0): void {
    if (this.engine.abortLocal(runId) || !this.engine.isExecuting(runId) || attempt >= 40) return;
    setTimeout(() => this.abortWhenHere(runId, attempt + 1), 50).unref();
  }

  private deliver(event: RunEvent): void {
    if (event.type === 'run') {
      const status = event.run.status;
      if (finishedRunStatuses.has(status) || status === 'waiting') this.notify(event.run);
    }
    for (const listener of [...this.listeners, ...(this.runListeners.get(event.runId) ?? [])]) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break a run.
      }
    }
  }

  private notify(run: RunRecord): void {
    for (const listener of this.waiters.get(run.id) ?? []) listener(run);
  }
}
