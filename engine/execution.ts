import { randomUUID } from 'node:crypto';
import { asError, RunAborted, StepFailure, StepTimeout, toStepError } from './errors.js';
import { jsonByteLength, jsonExceeds, type Json } from './json.js';
import { evaluateLogic } from './logic.js';
import {
  Routed,
  Waiting,
  type ExpressionScope,
  type NodeContext,
  type NodeResult,
  type NodeServices,
  type OutboundGuard,
  type ResumeInfo,
  type StepLogger,
  type WaitSpec,
} from './node.js';
import type { RunObserver } from './observer.js';
import type { NodePlan, WorkflowPlan } from './plan.js';
import { runWithPublisherRole } from './publisher-role.js';
import { retryDelayMs, sleep } from './retry.js';
import { signalWaitsOf, type StoredWait, type WaitStore } from './waits.js';
import type { SandboxSession } from './sandbox/types.js';
import type { NewRun, RunPatch, RunRecord, RunStatus, RunStore, StepError, StepRecord } from './store.js';

export type RunEvent =
  | { type: 'step'; runId: string; workspaceId: string; step: StepRecord }
  | { type: 'run'; runId: string; workspaceId: string; run: RunRecord };

export interface ExecutionDeps {
  store: RunStore;
  session: SandboxSession;
  /** A session with a node's own limits (isolates are pooled per memory limit). */
  sessionWith: (limits: { memoryMb?: number; cpuTimeoutMs?: number }) => SandboxSession;
  services: NodeServices;
  maxStepOutputBytes: number;
  emit: (event: RunEvent) => void;
  now: () => Date;
  /** Signal waits (engine/waits.ts); without it a wait for a signal fails the step. */
  waits?: WaitStore;
  /**
   * A run that is not stored yet: its first commit creates it, with every step so far. A
   * synchronous webhook's run costs one commit this way; its caller waits for `persisted`
   * before acknowledging anything.
   */
  unsaved?: NewRun;
  /** The host's outbound guard (the safety policy), asked only before outbound steps. */
  beforeOutbound?: OutboundGuard | undefined;
  /** Metrics and traces (engine/observer.ts): told of every step's start and end. */
  observer?: RunObserver | undefined;
}

type NodeState = 'pending' | 'running' | 'done' | 'waiting';

const MAX_LOG_ENTRIES = 200;

/**
 * One run on one executor: dataflow over ports, retries, timeouts, error routing, and the
 * durability rule of DESIGN §5 — pure steps are committed in batches, a side-effect step's
 * predecessors are committed before it starts and its result before anything after it starts.
 */
export class RunExecution {
  readonly abort = new AbortController();
  private readonly state = new Map<string, NodeState>();
  private readonly fired = new Map<string, readonly string[]>();
  private readonly steps = new Map<string, StepRecord>();
  /** Outputs of completed nodes in completion order: `nodes.<id>.output` in expressions. */
  private readonly outputs = new Map<string, Json>();
  private readonly dirty = new Set<StepRecord>();
  private commitChain: Promise<void> = Promise.resolve();
  private unsaved: NewRun | undefined;
  /** Settles once the run exists in the store (at once for a run that was stored first). */
  readonly persisted: Promise<void>;
  private markPersisted: (error?: unknown) => void = () => undefined;
  private persistSoon = false;
  private active = 0;
  /** Some step of this run waited for a signal: its waits are closed when the run ends. */
  private hadSignalWaits = false;
  private failure: StepError | undefined;
  private settled: (() => void) | undefined;
  private triggerOutput: Json;
  private readonly runInfo: Json;
  private readonly workspaceInfo: Json;
  private readonly vars: Json;
  /** The run was taken over from an executor that died while running it (pg-run-store's claim). */
  private readonly takenOver: boolean;

  constructor(
    private readonly plan: WorkflowPlan,
    private run: RunRecord,
    committedSteps: readonly StepRecord[],
    private readonly deps: ExecutionDeps,
  ) {
    for (const step of committedSteps) {
      this.steps.set(step.nodeId, step);
      if ((step.wait as unknown as StoredWait | null)?.waitId) this.hadSignalWaits = true;
    }
    this.triggerOutput = run.input;
    this.runInfo = {
      id: run.id,
      workflowId: run.workflowId,
      versionId: run.versionId,
      startedAt: (run.startedAt ?? run.createdAt).toISOString(),
    };
    this.workspaceInfo = { id: run.workspaceId };
    this.vars = (plan.document.settings.vars ?? {}) as Json;
    this.takenOver = ((run as RunRecord & { takeovers?: number }).takeovers ?? 0) > 0;
    this.unsaved = deps.unsaved;
    this.persisted = this.unsaved
      ? new Promise<void>((resolve, reject) => {
          this.markPersisted = (error) => (error === undefined ? resolve() : reject(asError(error)));
        })
      : Promise.resolve();
    // Nobody may be listening: a failed creation is also the failure of the run's execute().
    this.persisted.catch(() => undefined);
  }

  /**
   * Store the run soon if it is not stored yet. Deferred by a turn of the event loop so a run
   * about to end is created by its final commit rather than by one more.
   */
  persistNow(): Promise<void> {
    if (this.unsaved && !this.persistSoon) {
      this.persistSoon = true;
      setImmediate(() => {
        if (this.unsaved) void this.flush().catch(() => undefined);
      });
    }
    return this.persisted;
  }

  get record(): RunRecord {
    return this.run;
  }

  /** Copies of the steps as they stand, committed or not. */
  currentSteps(): StepRecord[] {
    return [...this.steps.values()].map((step) => ({ ...step }));
  }

  /** Run until the run finishes or waits; returns the committed run. */
  async execute(): Promise<RunRecord> {
    const deadline = this.run.deadlineAt;
    let deadlineTimer: NodeJS.Timeout | undefined;
    if (deadline) {
      const remaining = deadline.getTime() - this.deps.now().getTime();
      if (remaining <= 0) this.abort.abort(new RunAborted('timed_out'));
      else deadlineTimer = setTimeout(() => this.abort.abort(new RunAborted('timed_out')), remaining);
    }
    try {
      if (!this.run.startedAt) this.run.startedAt = this.deps.now();
      this.restore();
      const done = new Promise<void>((resolve) => (this.settled = resolve));
      this.scheduleFrom(this.plan.nodes.keys());
      if (this.active > 0) await done;
      return await this.finish();
    } finally {
      if (deadlineTimer) clearTimeout(deadlineTimer);
    }
  }

  /** Rebuild node states from committed steps (a resume) and start the trigger on a new run. */
  private restore(): void {
    for (const nodeId of this.plan.nodes.keys()) this.state.set(nodeId, 'pending');
    for (const step of this.steps.values()) {
      if (
        step.status === 'succeeded' ||
        step.status === 'skipped' ||
        (step.status === 'failed' && step.ports.length > 0)
      ) {
        this.markDone(step.nodeId, step.ports, step.status === 'succeeded' ? step.output : undefined);
      } else if (step.status === 'waiting') {
        this.state.set(step.nodeId, 'waiting');
      }
      // running (interrupted) and failed-without-route steps run again.
    }
    const triggerStep = this.steps.get(this.run.triggerNodeId);
    if (triggerStep?.status === 'succeeded') this.triggerOutput = triggerStep.output;
    for (const trigger of this.plan.triggers) {
      if (trigger !== this.run.triggerNodeId && this.state.get(trigger) === 'pending') this.skip(trigger);
    }
  }

  private markDone(nodeId: string, ports: readonly string[], output: Json | undefined): void {
    this.state.set(nodeId, 'done');
    this.fired.set(nodeId, ports);
    if (output !== undefined) this.outputs.set(nodeId, output);
  }

  /**
   * Start every candidate whose inputs are resolved and skip those that can no longer fire;
   * a skip resolves its successors, so they are looked at next.
   */
  private scheduleFrom(candidates: Iterable<string>): void {
    const work = [...candidates];
    while (work.length > 0 && !this.abort.signal.aborted && !this.failure) {
      const node = this.plan.nodes.get(work.pop()!);
      if (!node) continue;
      const state = this.state.get(node.id);
      if (state === 'waiting') {
        if (this.isDue(node.id)) this.launch(node, this.resumeInput(node.id));
        continue;
      }
      if (state !== 'pending') continue;
      if (node.id === this.run.triggerNodeId) {
        this.launch(node, this.run.input);
        continue;
      }
      const readiness = this.readiness(node);
      if (readiness === 'run') this.launch(node, this.inputOf(node));
      else if (readiness === 'skip') {
        this.skip(node.id);
        for (const edge of node.outbound) work.push(edge.to);
      }
    }
  }

  private readiness(node: NodePlan): 'run' | 'skip' | 'wait' {
    if (node.inbound.length === 0) return 'skip';
    let pending = false;
    let anyFired = false;
    for (const edge of node.inbound) {
      if (this.state.get(edge.from) !== 'done') pending = true;
      else if (this.fired.get(edge.from)?.includes(edge.fromPort)) anyFired = true;
    }
    if (node.join === 'any') return anyFired ? 'run' : pending ? 'wait' : 'skip';
    if (pending) return 'wait';
    return anyFired ? 'run' : 'skip';
  }

  private inputOf(node: NodePlan): Json {
    for (const edge of node.inbound) {
      if (this.fired.get(edge.from)?.includes(edge.fromPort)) return this.outputs.get(edge.from) ?? null;
    }
    return null;
  }

  /** Every input that fired, for nodes that combine several (merge). */
  private inputsOf(node: NodePlan): { from: string; port: string; toPort: string; value: Json }[] {
    const inputs: { from: string; port: string; toPort: string; value: Json }[] = [];
    for (const edge of node.inbound) {
      if (this.fired.get(edge.from)?.includes(edge.fromPort)) {
        inputs.push({
          from: edge.from,
          port: edge.fromPort,
          toPort: edge.toPort,
          value: this.outputs.get(edge.from) ?? null,
        });
      }
    }
    return inputs;
  }

  private skip(nodeId: string): void {
    const now = this.deps.now();
    this.markDone(nodeId, [], undefined);
    this.markDirty(this.stepFor(nodeId, { status: 'skipped', startedAt: now, finishedAt: now }));
  }

  private stepFor(nodeId: string, patch: Partial<StepRecord>): StepRecord {
    let step = this.steps.get(nodeId);
    if (!step) {
      step = {
        runId: this.run.id,
        nodeId,
        status: 'running',
        attempts: 0,
        input: null,
        output: null,
        ports: [],
        error: null,
        logs: [],
        startedAt: null,
        finishedAt: null,
        wait: null,
        interruptions: 0,
      };
      this.steps.set(nodeId, step);
    }
    Object.assign(step, patch);
    return step;
  }

  private markDirty(step: StepRecord): void {
    this.dirty.add(step);
    this.announce(step);
  }

  /** Tell live viewers; pure steps that start are announced without a commit. */
  private announce(step: StepRecord): void {
    this.deps.emit({ type: 'step', runId: this.run.id, workspaceId: this.run.workspaceId, step });
  }

  private launch(node: NodePlan, input: Json): void {
    this.state.set(node.id, 'running');
    this.active += 1;
    void this.runStep(node, input)
      .catch((error: unknown) => {
        // A commit failed (the database is unreachable): the run stops; what was committed stays.
        const message = `Storing the run failed: ${toStepError(error).message}`;
        this.failure ??= { message, code: 'store_failed' };
        this.abort.abort(new StepFailure(message, 'store_failed'));
      })
      .finally(() => {
        const observer = this.deps.observer;
        if (observer?.stepEnded) {
          const step = this.steps.get(node.id);
          try {
            if (step) observer.stepEnded(this.run, node.type.type, step);
          } catch {
            // An observer's failure must not break a run.
          }
        }
        this.active -= 1;
        if (!this.failure && !this.abort.signal.aborted)
          this.scheduleFrom(node.outbound.map((edge) => edge.to));
        if (this.active === 0) this.settled?.();
      });
  }

  private async runStep(node: NodePlan, input: Json): Promise<void> {
    const previous = this.steps.get(node.id);
    const resume = previous?.status === 'waiting' ? this.resumeInfo(previous) : undefined;
    if (resume && previous && this.completeWaitByTimeout(node, previous)) return;
    // stepFor updates the same record: what it was must be read first (a resumed wait is no crash).
    const previousStatus = previous?.status;
    const step = this.stepFor(node.id, {
      status: 'running',
      input,
      error: null,
      wait: null,
      startedAt: previous?.status === 'waiting' ? previous.startedAt : this.deps.now(),
      finishedAt: null,
    });
    this.announce(step);
    if (node.type.outbound !== undefined && this.deps.beforeOutbound) {
      const refused = await this.guardOutbound(node, node.type.outbound);
      if (refused) return this.completeFailed(node, step, refused);
    }
    if (node.type.sideEffects) {
      if (previousStatus === 'running') {
        // Found running after its executor died: it may have happened. Re-run once, same key —
        // or as often as it takes when the node itself makes its effect happen once per key.
        if (step.interruptions >= 1 && node.type.onceByKey !== true) {
          return this.completeFailed(node, step, {
            message: 'The step was interrupted twice by executor crashes; it is not run a third time',
            code: 'interrupted',
          });
        }
        step.interruptions += 1;
      }
      this.markDirty(step);
      await this.flush();
    } else if (this.takenOver) {
      // A run taken over from an executor that died commits each pure step as started before
      // it runs (only then: the hot path commits pure steps in batches). One found running
      // here killed its executor while marked, i.e. the second death: fail it, never loop.
      if (previousStatus === 'running') {
        return this.completeFailed(node, step, {
          message:
            'The step was running when its executor died, twice; it is not run a third time ' +
            '(for a code step: it probably exhausted memory or hung the process)',
          code: 'interrupted',
        });
      }
      step.interruptions = Math.max(step.interruptions, 1);
      this.markDirty(step);
      await this.flush();
    }

    try {
      this.deps.observer?.stepStarted?.(this.run, node.id, node.type.type);
    } catch {
      // An observer's failure must not break a run.
    }
    let attempt = 0;
    for (;;) {
      attempt += 1;
      step.attempts += 1;
      try {
        const result = await this.attempt(node, step, input, attempt, resume);
        if (result instanceof Waiting) return await this.completeWaiting(node, step, result.spec);
        const ports = result instanceof Routed ? [...result.ports] : ['out'];
        const output = result instanceof Routed ? result.value : result;
        return await this.completeSucceeded(node, step, ports, output === undefined ? null : output);
      } catch (error) {
        if (this.abort.signal.aborted) {
          const reason: unknown = this.abort.signal.reason;
          return this.completeAborted(
            step,
            reason instanceof RunAborted ? reason : new RunAborted('cancelled'),
          );
        }
        const stepError = toStepError(error);
        try {
          this.deps.observer?.attemptFailed?.(this.run, node.type.type, error, stepError);
        } catch {
          // An observer's failure must not break a run.
        }
        const retryable = stepError.code !== 'config' && stepError.code !== 'output_too_large';
        if (retryable && attempt < node.retry.maxAttempts) {
          this.logTo(step, 'warn', `Attempt ${attempt} failed: ${stepError.message}`);
          try {
            await sleep(retryDelayMs(node.retry, attempt), this.abort.signal);
          } catch {
            const reason: unknown = this.abort.signal.reason;
            return this.completeAborted(
              step,
              reason instanceof RunAborted ? reason : new RunAborted('cancelled'),
            );
          }
          continue;
        }
        return this.completeFailed(node, step, stepError);
      }
    }
  }

  /** The host's verdict on an outbound step: undefined to go ahead, else the error it fails with. */
  private async guardOutbound(
    node: NodePlan,
    outbound: NonNullable<NodePlan['type']['outbound']>,
  ): Promise<StepError | undefined> {
    try {
      const pending = this.deps.beforeOutbound!({
        run: {
          id: this.run.id,
          workflowId: this.run.workflowId,
          versionId: this.run.versionId,
          workspaceId: this.run.workspaceId,
        },
        node: { id: node.id, type: node.type.type, outbound },
        document: this.plan.document,
        fired: this.fired,
      });
      if (pending) await pending;
      return undefined;
    } catch (error) {
      return toStepError(error);
    }
  }

  private async attempt(
    node: NodePlan,
    step: StepRecord,
    input: Json,
    attempt: number,
    resume: ResumeInfo | undefined,
  ): Promise<Json | Routed | Waiting> {
    const scope: ExpressionScope = {
      input,
      trigger: this.triggerOutput,
      nodes: this.outputs,
      run: this.runInfo,
      workspace: this.workspaceInfo,
      vars: this.vars,
    };
    const config = this.configFor(node, scope);
    const timeoutMs = node.timeoutMs;
    // A step gets its own abort signal only when it has a timeout: AbortControllers are
    // not free, and most steps share the run's signal.
    const stepAbort = timeoutMs === undefined ? undefined : new AbortController();
    const onRunAbort = (): void => stepAbort?.abort(this.abort.signal.reason);
    if (stepAbort) this.abort.signal.addEventListener('abort', onRunAbort, { once: true });
    const ctx = this.contextFor(
      node,
      step,
      config,
      scope,
      attempt,
      resume,
      stepAbort?.signal ?? this.abort.signal,
      timeoutMs,
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      // Tracing runs the node inside its step's span; without it, no closure is made.
      const observer = this.deps.observer;
      const running = observer?.withinStep
        ? observer.withinStep(this.run, node.id, () => this.invoke(node, ctx, input))
        : this.invoke(node, ctx, input);
      const raced =
        timeoutMs === undefined
          ? running
          : Promise.race([
              running,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const timeout = new StepTimeout(timeoutMs);
                  stepAbort?.abort(timeout);
                  reject(timeout);
                }, timeoutMs);
              }),
            ]);
      const result = await Promise.race([raced, this.aborted()]);
      if (result instanceof Waiting || result === undefined) return result ?? null;
      const value = result instanceof Routed ? result.value : result;
      if (jsonExceeds(value, this.deps.maxStepOutputBytes)) {
        throw new StepFailure(
          `The step's output is ${jsonByteLength(value)} bytes, over the limit of ${this.deps.maxStepOutputBytes} bytes`,
          'output_too_large',
        );
      }
      return result;
    } finally {
      if (timer) clearTimeout(timer);
      if (stepAbort) this.abort.signal.removeEventListener('abort', onRunAbort);
    }
  }

  /** A node that needs a role runs only while whoever published the version holds it. */
  private invoke(node: NodePlan, ctx: NodeContext<unknown>, input: Json): Promise<NodeResult> {
    return node.type.requiresRole
      ? runWithPublisherRole(node.type, ctx, input)
      : Promise.resolve(node.type.run(ctx, input));
  }

  private sessionFor(node: NodePlan): SandboxSession {
    const own = node.spec.sandbox;
    return own?.memoryMb === undefined && own?.cpuTimeoutMs === undefined
      ? this.deps.session
      : this.deps.sessionWith(own);
  }

  /** Rejects when the run is aborted; one promise per run, shared by every step's race. */
  private abortedPromise: Promise<never> | undefined;
  private aborted(): Promise<never> {
    this.abortedPromise ??= new Promise<never>((_, reject) => {
      const signal = this.abort.signal;
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    this.abortedPromise.catch(() => undefined);
    return this.abortedPromise;
  }

  private configFor(node: NodePlan, scope: ExpressionScope): unknown {
    if (!node.templates) return node.staticConfig;
    let values: Json[];
    try {
      values = this.sessionFor(node).evaluate(node.templates.expressions, scope, {
        timeoutMs: node.spec.sandbox?.cpuTimeoutMs,
        maxResultBytes: this.deps.maxStepOutputBytes,
      });
    } catch (error) {
      const stepError = toStepError(error);
      throw new StepFailure(`An expression in the config failed: ${stepError.message}`, 'expression');
    }
    const parsed = node.type.config.safeParse(node.templates.apply(values));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue ? ['config', ...issue.path.map(String)].join('.') : 'config';
      throw new StepFailure(
        `${field}: ${issue?.message ?? 'invalid config'} (after evaluating expressions)`,
        'config',
        field,
      );
    }
    return parsed.data;
  }

  private contextFor(
    node: NodePlan,
    step: StepRecord,
    config: unknown,
    scope: ExpressionScope,
    attempt: number,
    resume: ResumeInfo | undefined,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ): NodeContext<unknown> & { inputs: ReturnType<RunExecution['inputsOf']> } {
    const session = this.sessionFor(node);
    const cpuTimeoutMs = node.spec.sandbox?.cpuTimeoutMs ?? timeoutMs;
    return {
      config,
      node: { id: node.id, type: node.type.type, name: node.spec.name ?? node.id },
      run: {
        id: this.run.id,
        workflowId: this.run.workflowId,
        versionId: this.run.versionId,
        workspaceId: this.run.workspaceId,
      },
      attempt,
      idempotencyKey: `${this.run.id}:${node.id}`,
      scope,
      log: this.loggerFor(step),
      signal,
      sandbox: {
        runCode: (source, codeInput, options) =>
          session.runCode(source, codeInput, scope, {
            timeoutMs: options?.timeoutMs ?? cpuTimeoutMs,
            signal,
            // Checked inside the isolate, before the host copies or parses the result.
            maxResultBytes: this.deps.maxStepOutputBytes,
          }),
        evaluate: (expression, override) => {
          const [value] = session.evaluate([expression], override ? { ...scope, ...override } : scope, {
            timeoutMs: cpuTimeoutMs,
          });
          return value ?? null;
        },
      },
      services: this.deps.services,
      resume,
      inputs: this.inputsOf(node),
      logic: (rule) => evaluateLogic(rule, scope),
      route: (port, value) =>
        new Routed(typeof port === 'string' ? [port] : port, value === undefined ? scope.input : value),
      wait: (spec) => new Waiting(spec),
    };
  }

  private loggerFor(step: StepRecord): StepLogger {
    const write = (level: string) => (message: string, data?: Json) => this.logTo(step, level, message, data);
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  }

  private logTo(step: StepRecord, level: string, message: string, data?: Json): void {
    if (step.logs.length >= MAX_LOG_ENTRIES) return;
    const entry: Record<string, Json> = {
      level,
      message: message.slice(0, 10_000),
      at: this.deps.now().toISOString(),
    };
    if (data !== undefined) entry.data = data;
    step.logs.push(entry);
  }

  private async completeSucceeded(
    node: NodePlan,
    step: StepRecord,
    ports: string[],
    output: Json,
  ): Promise<void> {
    Object.assign(step, { status: 'succeeded', output, ports, finishedAt: this.deps.now(), error: null });
    if (node.id === this.run.triggerNodeId) this.triggerOutput = output;
    this.markDirty(step);
    if (node.type.sideEffects) await this.flush();
    this.markDone(node.id, ports, output);
  }

  private async completeFailed(node: NodePlan, step: StepRecord, error: StepError): Promise<void> {
    const routed = node.onError === 'route' ? ['error'] : node.onError === 'continue' ? ['out'] : [];
    const output: Json = routed.length > 0 ? { error: { ...error }, input: step.input } : null;
    Object.assign(step, { status: 'failed', error, ports: routed, output, finishedAt: this.deps.now() });
    this.markDirty(step);
    if (routed.length === 0) {
      this.failure = { ...error, message: `Node "${node.id}" failed: ${error.message}` };
      this.abort.abort(new StepFailure(error.message, error.code ?? 'node_error'));
      this.state.set(node.id, 'done');
      return;
    }
    if (node.type.sideEffects) await this.flush();
    this.markDone(node.id, routed, output);
  }

  private completeAborted(step: StepRecord, reason: RunAborted): void {
    Object.assign(step, {
      status: reason.reason === 'cancelled' ? 'cancelled' : 'failed',
      error: toStepError(reason),
      finishedAt: this.deps.now(),
    });
    this.markDirty(step);
    this.state.set(step.nodeId, 'done');
  }

  private async completeWaiting(node: NodePlan, step: StepRecord, spec: WaitSpec): Promise<void> {
    if (spec.signal && !this.deps.waits) {
      const message = 'This Revflow process keeps no signal waits (its run store has no wait store)';
      return this.completeFailed(node, step, { message, code: 'config' });
    }
    const wait: StoredWait = {
      until: spec.until ? spec.until.toISOString() : null,
      signal: spec.signal ?? null,
      onTimeout: spec.onTimeout ?? null,
      state: spec.state ?? null,
    };
    // A signal wait gets its own row in run_waits, registered before the suspend commit.
    if (spec.signal) {
      wait.waitId = randomUUID();
      this.hadSignalWaits = true;
    }
    Object.assign(step, { status: 'waiting', wait: wait as unknown as Json });
    this.markDirty(step);
    this.state.set(node.id, 'waiting');
  }

  private resumeInfo(step: StepRecord): ResumeInfo | undefined {
    const wait = step.wait as unknown as StoredWait | null;
    if (!wait) return undefined;
    if (wait.signalled) return { reason: 'signal', payload: wait.signalled.payload, state: wait.state };
    return { reason: 'timer', payload: null, state: wait.state };
  }

  private isDue(nodeId: string): boolean {
    const wait = this.steps.get(nodeId)?.wait as unknown as StoredWait | null | undefined;
    if (wait?.signalled) return true;
    if (!wait?.until) return false;
    return new Date(wait.until).getTime() <= this.deps.now().getTime();
  }

  private resumeInput(nodeId: string): Json {
    return this.steps.get(nodeId)?.input ?? null;
  }

  /** A wait that ended by time and says what to emit completes without calling the node. */
  private completeWaitByTimeout(node: NodePlan, step: StepRecord): boolean {
    const wait = step.wait as unknown as StoredWait | null;
    if (!wait?.onTimeout || wait.signalled) return false;
    Object.assign(step, {
      status: 'succeeded',
      output: wait.onTimeout.value,
      ports: [wait.onTimeout.port],
      wait: null,
      finishedAt: this.deps.now(),
    });
    this.markDirty(step);
    this.markDone(node.id, [wait.onTimeout.port], wait.onTimeout.value);
    return true;
  }

  /** Commit what is dirty. Commits of one run are applied in order; the first creates an unsaved run. */
  private flush(patch: RunPatch = {}): Promise<void> {
    const steps = [...this.dirty];
    this.dirty.clear();
    const create = this.unsaved;
    this.unsaved = undefined;
    let next: Promise<void>;
    if (create) {
      const { status, startedAt, executorId, output, error, finishedAt, wakeAt } = this.run;
      const state: RunPatch = { status, startedAt, executorId, output, error, finishedAt, wakeAt, ...patch };
      next = this.deps.store.createRun({ ...create, steps, state }).then(
        () => this.markPersisted(),
        (failure: unknown) => {
          this.markPersisted(failure);
          throw failure;
        },
      );
    } else {
      next = this.commitChain.then(() => this.deps.store.commit(this.run.id, steps, patch));
    }
    this.commitChain = next.catch(() => undefined);
    return next;
  }

  private async finish(): Promise<RunRecord> {
    const now = this.deps.now();
    const patch: RunPatch = { startedAt: this.run.startedAt };
    const reason: unknown = this.abort.signal.reason;
    let status: RunStatus;
    if (this.failure) {
      status = 'failed';
      patch.error = this.failure;
    } else if (reason instanceof RunAborted) {
      status = reason.reason;
      patch.error = toStepError(reason);
    } else {
      const waiting = [...this.steps.values()].filter((step) => step.status === 'waiting');
      status = waiting.length > 0 ? 'waiting' : 'succeeded';
      if (status === 'waiting') {
        const times = waiting
          .map((step) => (step.wait as unknown as StoredWait | null)?.until)
          .filter((until): until is string => typeof until === 'string')
          .map((until) => new Date(until).getTime());
        patch.wakeAt = times.length > 0 ? new Date(Math.min(...times)) : null;
        patch.executorId = null;
      } else {
        patch.output = this.runOutput();
      }
    }
    // Nodes that never ran because the run stopped early stay without a step record.
    patch.status = status;
    if (status !== 'waiting') patch.finishedAt = now;
    Object.assign(this.run, patch);
    const waits = this.deps.waits;
    const signalWaits = status === 'waiting' && waits ? signalWaitsOf(this.steps.values()) : [];
    // Registered before the commit that makes the run waiting; a signal in between is caught after it.
    if (waits && signalWaits.length > 0) await waits.register(this.run, signalWaits);
    await this.flush(patch);
    if (waits && signalWaits.length > 0 && (await waits.wakeIfSignalled(this.run.id))) this.run.wakeAt = now;
    if (waits && status !== 'waiting' && this.hadSignalWaits) await waits.closeRun(this.run.id);
    // The engine announces the run's end once it has let go of it.
    return this.run;
  }

  /** A run's output: its one sink's output, or the outputs of its sinks by node id. */
  private runOutput(): Json {
    const sinks = [...this.plan.nodes.values()].filter((node) => node.isSink && this.outputs.has(node.id));
    if (sinks.length === 1) return this.outputs.get(sinks[0]!.id) ?? null;
    const result: Record<string, Json> = {};
    for (const sink of sinks) result[sink.id] = this.outputs.get(sink.id) ?? null;
    return result;
  }
}
