import type { Json } from './json.js';
import type { RunRecord, RunStatus, StepError, StepRecord } from './store.js';

/**
 * Waits that end by a signal (DESIGN §5): a step suspends with `ctx.wait({ signal: { kind, key } })`
 * and the run resumes when `Runtime.signal(workspaceId, kind, key, payload)` finds it — on any
 * executor, after any restart. Nothing is held in memory while a run waits.
 *
 * The protocol, race-free without holding anything:
 * 1. An executor suspending a run registers its signal waits (`register`) BEFORE the commit that
 *    marks the run waiting, and after that commit asks `wakeIfSignalled` whether a signal already
 *    arrived in between (then the run is made due at once).
 * 2. `deliver` takes a wait in one transaction: it locks the run row, moves the wait from `open`
 *    to `signalled` with a conditional UPDATE (exactly once) and, when the run is waiting, makes
 *    it due (`wake_at = now()`); the caller then dispatches a wake job through the dispatcher used
 *    for new runs (in-process or BullMQ).
 * 3. An executor resuming a run `settle`s its signal waits first: a wait whose time is up is moved
 *    `open` → `timed_out` with the same conditional UPDATE, so a signal and the timer cannot both
 *    win; a wait that was signalled resumes with its payload (`ctx.resume.reason === 'signal'`).
 */

/** A signal wait as the executor registers it. */
export interface WaitRegistration {
  waitId: string;
  nodeId: string;
  kind: string;
  key: string;
  /** What the host matches a signal against beyond kind and key (e.g. a correlation value). */
  match: Json;
}

export interface OpenWait {
  waitId: string;
  runId: string;
  nodeId: string;
  match: Json;
}

export interface DeliveredSignal {
  waitId: string;
  runId: string;
  nodeId: string;
  workflowId: string;
  versionId: string;
  /** The run was waiting and is now due: dispatch it. Otherwise its executor picks the signal up. */
  wake: boolean;
}

export type WaitState = 'open' | 'signalled' | 'timed_out' | 'closed';

export interface SettledWait {
  waitId: string;
  state: WaitState;
  payload: Json;
}

/** What a sub-workflow step needs to know about the workflow it calls. */
export interface CallableWorkflow {
  workflowId: string;
  versionId: string;
}

/** Storage for signal waits and run parentage; `api/db/pg-wait-store.ts` implements it. */
export interface WaitStore {
  register(run: RunRecord, waits: readonly WaitRegistration[]): Promise<void>;
  /** After the suspend commit: make the run due now if one of its waits was signalled meanwhile. */
  wakeIfSignalled(runId: string): Promise<boolean>;
  /** Open waits of a workspace by kind and key. */
  findOpen(workspaceId: string, kind: string, key: string): Promise<OpenWait[]>;
  /** Take one wait for a signal; undefined when someone else took it or its run is over. */
  deliver(waitId: string, payload: Json): Promise<DeliveredSignal | undefined>;
  /** On resume: time out waits whose time is up (unless signalled first); report every state. */
  settle(runId: string, waits: ReadonlyArray<{ waitId: string; timeUp: boolean }>): Promise<SettledWait[]>;
  /** The run ended: its open waits can no longer be signalled. */
  closeRun(runId: string): Promise<void>;
  /** The version a sub-workflow call runs: the workflow's active version, else its latest published one. */
  callableWorkflow(workspaceId: string, workflowId: string): Promise<CallableWorkflow | undefined>;
  /** How many ancestors a run has (0 for a run nobody started). */
  depthOf(runId: string): Promise<number>;
  /** Record a child run's parent, before the child is dispatched. */
  setParent(childRunId: string, parent: { runId: string; nodeId: string }): Promise<void>;
  /** Unfinished runs a run started. */
  openChildren(runId: string): Promise<string[]>;
  /** The ended ones of these runs, with their outputs and errors. */
  finishedRuns(runIds: readonly string[]): Promise<ChildRunResult[]>;
}

/** What `flow.subWorkflow` and `logic.forEach` reach through `ctx.services.childRuns`. */
export interface ChildRunsService {
  /**
   * Start a run of another workflow of the run's workspace (its callable version) as a child of
   * `parent`. Fails clearly when the workflow does not exist, is not published, or the depth of
   * nested calls would exceed `MAX_CHILD_DEPTH`.
   */
  start(request: {
    workspaceId: string;
    workflowId: string;
    input: Json;
    parent: { runId: string; nodeId: string };
    /** Tells children of one step apart (forEach: the item index). */
    key?: string;
  }): Promise<{ runId: string; workflowId: string; versionId: string }>;
  /** The results of those of these child runs that have ended. */
  results(runIds: readonly string[]): Promise<ChildRunResult[]>;
  /** Cancel child runs (and theirs). */
  cancel(runIds: readonly string[]): Promise<void>;
}

/** What a child's end signals to its parent (`kind: 'run'`, key: the child run id). */
export interface ChildRunResult {
  runId: string;
  status: RunStatus;
  output: Json;
  error: StepError | null;
}

/**
 * Signal kind of a child run's end. The key names the parent step (`childSignalKey`) and the
 * wait's match lists the child runs it waits for (`{ runIds: [...] }`): one wait can wait for
 * several children (forEach), and whichever ends first resumes the step.
 */
export const CHILD_RUN_SIGNAL = 'run';

export function childSignalKey(parentRunId: string, parentNodeId: string): string {
  return `${parentRunId}:${parentNodeId}`;
}

/** The child run ids a child-run wait's match lists. */
export function childRunIdsOf(match: Json): string[] {
  if (match === null || typeof match !== 'object' || Array.isArray(match)) return [];
  const ids = match.runIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}
/** Nested sub-workflow calls deeper than this fail: recursion must end. */
export const MAX_CHILD_DEPTH = 10;

declare module './node.js' {
  interface NodeServices {
    /** Provided by the Runtime when its store keeps waits. */
    childRuns?: ChildRunsService;
  }
}

/** A step's wait as stored in `steps.wait`; signal waits carry their registration id. */
export interface StoredWait {
  until: string | null;
  signal: { kind: string; key: string; match?: Json } | null;
  onTimeout: { port: string; value: Json } | null;
  state: Json;
  /** The `run_waits` row of a signal wait. */
  waitId?: string;
  /** What a signal sent it (set on resume, never committed as such). */
  signalled?: { payload: Json };
}

export function storedWaitOf(step: StepRecord | undefined): StoredWait | null {
  return (step?.wait as unknown as StoredWait | null | undefined) ?? null;
}

/**
 * Before a run resumes: settle its signal waits and mark those a signal took, so the execution
 * resumes them with the payload. Only runs with signal waits pay for this.
 */
export async function prepareSignalResume(
  waits: WaitStore,
  run: RunRecord,
  steps: readonly StepRecord[],
  now: Date,
): Promise<void> {
  const pending = steps
    .filter((step) => step.status === 'waiting' && storedWaitOf(step)?.waitId !== undefined)
    .map((step) => ({ step, wait: storedWaitOf(step)! }));
  if (pending.length === 0) return;
  const deadlinePassed = run.deadlineAt !== null && run.deadlineAt.getTime() <= now.getTime();
  const settled = await waits.settle(
    run.id,
    pending.map(({ wait }) => ({
      waitId: wait.waitId!,
      timeUp: deadlinePassed || (wait.until !== null && new Date(wait.until).getTime() <= now.getTime()),
    })),
  );
  const byId = new Map(settled.map((item) => [item.waitId, item]));
  for (const { step, wait } of pending) {
    const state = byId.get(wait.waitId!);
    if (state?.state === 'signalled') {
      const signalled: StoredWait = { ...wait, signalled: { payload: state.payload } };
      step.wait = signalled as unknown as Json;
    }
  }
}

/** The registrations of a run's waiting steps that wait for a signal. */
export function signalWaitsOf(steps: Iterable<StepRecord>): WaitRegistration[] {
  const registrations: WaitRegistration[] = [];
  for (const step of steps) {
    if (step.status !== 'waiting') continue;
    const wait = storedWaitOf(step);
    if (!wait?.signal || !wait.waitId) continue;
    registrations.push({
      waitId: wait.waitId,
      nodeId: step.nodeId,
      kind: wait.signal.kind,
      key: wait.signal.key,
      match: wait.signal.match ?? null,
    });
  }
  return registrations;
}
