import type { WorkflowDocument } from './document.js';
import type { Json } from './json.js';
import type { WaitStore } from './waits.js';

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'cancelled';

export const finishedRunStatuses: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
]);

export interface StepError {
  message: string;
  /** `timeout`, `sandbox`, `config`, `output_too_large`, `cancelled`, `interrupted`, ... */
  code?: string;
  line?: number;
  /** Field of the node's config the error is about, when known. */
  field?: string;
}

export interface RunRecord {
  id: string;
  workspaceId: string;
  workflowId: string;
  versionId: string;
  status: RunStatus;
  /** The trigger node that started the run. */
  triggerNodeId: string;
  input: Json;
  error: StepError | null;
  output: Json;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Run timeout: after this the run is timed out. */
  deadlineAt: Date | null;
  /** A waiting run resumes at this time. */
  wakeAt: Date | null;
  /** The executor holding the run while it is running. */
  executorId: string | null;
  cancelRequested: boolean;
  /** Runs created by retrying another run point at it. */
  retryOf: string | null;
  /** A run started by a sub-workflow call (engine/waits.ts) records the run and node that started it. */
  parentRunId?: string | null;
  parentNodeId?: string | null;
}

export interface StepRecord {
  runId: string;
  nodeId: string;
  status: StepStatus;
  attempts: number;
  input: Json;
  output: Json;
  /** Ports the step fired. */
  ports: string[];
  error: StepError | null;
  logs: Json[];
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Wait state while the step is waiting. */
  wait: Json;
  /** How often a side-effect step was found running after its executor died. */
  interruptions: number;
}

export interface WorkflowVersionRecord {
  id: string;
  workflowId: string;
  workspaceId: string;
  number: number;
  document: WorkflowDocument;
}

export interface NewRun {
  id?: string;
  workspaceId: string;
  workflowId: string;
  versionId: string;
  triggerNodeId: string;
  input: Json;
  deadlineAt: Date | null;
  retryOf?: string | null;
  /** Steps copied in from an earlier run (retry from the failed step). */
  steps?: StepRecord[];
  /**
   * Create the run already held by this executor (status running), for the in-process path
   * that executes it right away: saves the claim round trip.
   */
  claimFor?: string;
  /** When the run was accepted (default: now). */
  createdAt?: Date;
  /**
   * The run's state to insert right away: a run executed before it was first stored (a
   * synchronous webhook's run) is created by its first commit, with everything it did so far.
   */
  state?: RunPatch;
}

export type RunPatch = Partial<
  Pick<RunRecord, 'status' | 'error' | 'output' | 'startedAt' | 'finishedAt' | 'wakeAt' | 'executorId'>
>;

/** What the engine needs from storage. `api/` implements it with Knex + Objection. */
export interface RunStore {
  getVersion(versionId: string): Promise<WorkflowVersionRecord | undefined>;
  /** Insert a queued run: the first commit of a run. */
  createRun(run: NewRun): Promise<RunRecord>;
  /**
   * Take a run for this executor if nobody live holds it: queued, waiting and due, or running
   * under an executor that stopped heartbeating. Returns the run and its committed steps.
   */
  claimRun(
    runId: string,
    executorId: string,
    options?: { staleAfterMs?: number },
  ): Promise<ClaimedRun | undefined>;
  /** Commit steps and a run patch atomically. Implementations may group commits of many runs. */
  commit(runId: string, steps: readonly StepRecord[], patch: RunPatch): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getSteps(runId: string): Promise<StepRecord[]>;
  requestCancel(runId: string): Promise<RunRecord | undefined>;
  /** Executor liveness: one row per executor process. */
  heartbeat(executorId: string): Promise<void>;
  /** Runs whose executor stopped heartbeating, and waits that are due. */
  findRecoverableRuns(options: { staleAfterMs: number; now: Date; limit: number }): Promise<RecoverableRun[]>;
  /** Signal waits and run parentage (engine/waits.ts); without it, waits end by time only. */
  readonly waits?: WaitStore;
}

export interface RecoverableRun {
  id: string;
  workspaceId: string;
  status: RunStatus;
}

export interface ClaimedRun {
  run: RunRecord;
  steps: StepRecord[];
  /** Set when the run is not stored yet: the execution's first commit creates it from this. */
  unsaved?: NewRun;
}
