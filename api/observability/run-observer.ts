import type { RunObserver } from '../../engine/observer.js';
import { SandboxError } from '../../engine/sandbox/types.js';
import type { RunRecord, StepError, StepRecord } from '../../engine/store.js';
import { finishedRunStatuses } from '../../engine/store.js';
import {
  BoundedLabel,
  ChildCache,
  runMetrics,
  type CounterChild,
  type HistogramChild,
} from './metrics.js';

export interface ObserverLogger {
  info(data: object, message: string): void;
  warn(data: object, message: string): void;
}

/** What tracing adds to the observer (api/observability/tracing.ts), loaded only when configured. */
export type StepTracer = Required<Omit<RunObserver, 'attemptFailed'>>;

export interface RunObservabilityOptions {
  logger: ObserverLogger;
  /** Distinct workflow ids that get their own label (metrics.ts). Default 20. */
  workflowLabels?: number;
}

const ms = (from: Date | null, to: Date | null): number | null =>
  from && to ? to.getTime() - from.getTime() : null;

/**
 * Metrics and structured logs of runs and steps, and traces once `attachTracer` is called.
 * Per step, with tracing off: two map lookups and one histogram observe and counter increment
 * on cached children — no object is allocated (bench `engine` measures it).
 */
export class RunObservability implements RunObserver {
  private readonly workflows: BoundedLabel;
  private readonly startedBy = new ChildCache<CounterChild>((workflow) =>
    runMetrics.started.labels({ workflow }),
  );
  private readonly finishedBy = new ChildCache<ChildCache<CounterChild>>(
    (workflow) => new ChildCache((status) => runMetrics.finished.labels({ workflow, status })),
  );
  private readonly durationBy = new ChildCache<HistogramChild>((status) =>
    runMetrics.duration.labels({ status }),
  );
  private readonly stepDurationBy = new ChildCache<HistogramChild>((nodeType) =>
    runMetrics.stepDuration.labels({ node_type: nodeType }),
  );
  private readonly stepsBy = new ChildCache<ChildCache<CounterChild>>(
    (nodeType) => new ChildCache((status) => runMetrics.steps.labels({ node_type: nodeType, status })),
  );
  private tracer: StepTracer | undefined;
  withinStep?: RunObserver['withinStep'];

  constructor(private readonly options: RunObservabilityOptions) {
    this.workflows = new BoundedLabel(options.workflowLabels ?? 20);
  }

  /** Tracing on: spans for runs and steps, and the node's code run inside its step's span. */
  attachTracer(tracer: StepTracer): void {
    this.tracer = tracer;
    this.withinStep = (run, nodeId, invoke) => tracer.withinStep(run, nodeId, invoke);
  }

  detachTracer(): void {
    this.tracer = undefined;
    delete this.withinStep;
  }

  runStarted(run: RunRecord, resumed: boolean): void {
    if (resumed) runMetrics.resumed.inc();
    else this.startedBy.get(this.workflows.of(run.workflowId)).inc();
    this.options.logger.info(
      {
        event: 'run.started',
        runId: run.id,
        workflowId: run.workflowId,
        workspaceId: run.workspaceId,
        versionId: run.versionId,
        resumed,
      },
      'run started',
    );
    this.tracer?.runStarted(run, resumed);
  }

  runEnded(run: RunRecord): void {
    const durationMs = ms(run.startedAt ?? run.createdAt, run.finishedAt);
    if (finishedRunStatuses.has(run.status)) {
      this.finishedBy.get(this.workflows.of(run.workflowId)).get(run.status).inc();
      if (durationMs !== null) this.durationBy.get(run.status).observe(durationMs / 1000);
    } else if (run.status === 'waiting') {
      runMetrics.suspended.inc();
    }
    const data = {
      event: run.status === 'waiting' ? 'run.suspended' : 'run.finished',
      runId: run.id,
      workflowId: run.workflowId,
      workspaceId: run.workspaceId,
      status: run.status,
      durationMs,
      ...(run.error ? { error: { code: run.error.code, message: run.error.message.slice(0, 500) } } : {}),
    };
    if (run.status === 'failed' || run.status === 'timed_out') this.options.logger.warn(data, 'run ended');
    else this.options.logger.info(data, 'run ended');
    this.tracer?.runEnded(run);
  }

  stepStarted(run: RunRecord, nodeId: string, nodeType: string): void {
    this.tracer?.stepStarted(run, nodeId, nodeType);
  }

  stepEnded(run: RunRecord, nodeType: string, step: StepRecord): void {
    this.stepsBy.get(nodeType).get(step.status).inc();
    if (step.status !== 'waiting' && step.startedAt && step.finishedAt) {
      this.stepDurationBy.get(nodeType).observe((step.finishedAt.getTime() - step.startedAt.getTime()) / 1000);
    }
    if (step.status === 'failed') {
      this.options.logger.warn(
        {
          event: 'step.failed',
          runId: run.id,
          workflowId: run.workflowId,
          nodeId: step.nodeId,
          nodeType,
          attempts: step.attempts,
          routed: step.ports.length > 0,
          error: step.error && { code: step.error.code, message: step.error.message.slice(0, 500) },
        },
        'step failed',
      );
    }
    this.tracer?.stepEnded(run, nodeType, step);
  }

  attemptFailed(_run: RunRecord, _nodeType: string, error: unknown, stepError: StepError): void {
    runMetrics.attemptFailures.inc({ code: codeLabel(stepError.code) });
    // The sandbox's own verdicts (user code or an expression), not a node's timeout.
    const sandbox = error instanceof SandboxError ? error : sandboxCause(error);
    if (sandbox?.kind === 'timeout') runMetrics.sandboxKills.inc({ reason: 'timeout' });
    else if (sandbox?.kind === 'memory') runMetrics.sandboxKills.inc({ reason: 'memory' });
  }
}

/** An expression failing in a node's config is re-thrown as a StepFailure; its cause is kept. */
function sandboxCause(error: unknown): SandboxError | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof SandboxError ? cause : undefined;
}

const codes = new BoundedLabel(60);

function codeLabel(code: string | undefined): string {
  if (code === undefined) return 'none';
  return /^[a-z0-9_.]{1,48}$/i.test(code) ? codes.of(code) : 'other';
}
