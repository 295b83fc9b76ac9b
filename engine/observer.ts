import type { RunRecord, StepError, StepRecord } from './store.js';

/**
 * What the engine tells a host about the runs it executes, for metrics, logs and traces
 * (api/observability implements it). The engine knows no Prometheus or OpenTelemetry: it calls
 * these hooks with records it already holds, so an observer that only counts costs the step
 * loop no allocation. Every hook is optional and must not throw (a throw is swallowed).
 */
export interface RunObserver {
  /** A run begins executing on this executor: new, or resumed after a wait or a takeover. */
  runStarted?(run: RunRecord, resumed: boolean): void;
  /** A run stopped executing here: finished, or suspended (`waiting`), or cancelled while idle. */
  runEnded?(run: RunRecord): void;
  /** A step is about to run its node (after the outbound guard's turn). */
  stepStarted?(run: RunRecord, nodeId: string, nodeType: string): void;
  /** A step is done with for now: succeeded, failed, waiting or cancelled (`step.status`). */
  stepEnded?(run: RunRecord, nodeType: string, step: StepRecord): void;
  /** One attempt failed (it may be retried): the raw error, to tell a sandbox kill from the rest. */
  attemptFailed?(run: RunRecord, nodeType: string, error: unknown, stepError: StepError): void;
  /**
   * Run a node's code inside the step's context (tracing: so its HTTP calls become child spans of
   * the step). Absent unless tracing is on: then the engine calls the node directly.
   */
  withinStep?<T>(run: RunRecord, nodeId: string, invoke: () => T): T;
}
