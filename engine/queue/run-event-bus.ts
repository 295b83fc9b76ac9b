import type { RunEvent } from '../execution.js';
import type { Json } from '../json.js';
import type { RunRecord, StepRecord } from '../store.js';

/**
 * How run and step events and cancellations travel between processes in queue mode: workers
 * publish what their engines emit, the API listens (waitForRun, live run views) and publishes
 * cancellations, which the worker holding the run acts on. Delivery is best effort (pub/sub):
 * the database stays the truth, and waiters re-read it now and then.
 */
export interface RunEventBus {
  /** Fire and forget: a lost event costs a waiter a database read, never a run. */
  publish(event: RunEvent): void;
  publishCancel(runId: string): Promise<void>;
  /** Start receiving; resolves once subscribed. A bus never hands back its own messages. */
  listen(handlers: RunEventHandlers): Promise<void>;
  close(): Promise<void>;
}

export interface RunEventHandlers {
  event?: (event: RunEvent) => void;
  cancel?: (runId: string) => void;
}

/** Events above this size go out without step input, output and logs (viewers re-read them). */
const MAX_EVENT_BYTES = 256 * 1024;

export function encodeRunEvent(event: RunEvent): string {
  const text = JSON.stringify(event);
  if (text.length <= MAX_EVENT_BYTES) return text;
  if (event.type === 'step')
    return JSON.stringify({ ...event, step: { ...event.step, input: null, output: null, logs: [] } });
  return JSON.stringify({ ...event, run: { ...event.run, input: null, output: null } });
}

export function decodeRunEvent(text: string): RunEvent | undefined {
  const value = JSON.parse(text) as {
    type?: string;
    runId?: string;
    workspaceId?: string;
    run?: Json;
    step?: Json;
  };
  if (typeof value.runId !== 'string' || typeof value.workspaceId !== 'string') return undefined;
  if (value.type === 'run' && isObject(value.run)) {
    return { type: 'run', runId: value.runId, workspaceId: value.workspaceId, run: reviveRun(value.run) };
  }
  if (value.type === 'step' && isObject(value.step)) {
    return { type: 'step', runId: value.runId, workspaceId: value.workspaceId, step: reviveStep(value.step) };
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const toDate = (value: unknown): Date | null => (typeof value === 'string' ? new Date(value) : null);

// JSON turned the dates into ISO strings; these fields are dates in the records.
function reviveRun(raw: Record<string, unknown>): RunRecord {
  const run = raw as unknown as RunRecord;
  return {
    ...run,
    createdAt: toDate(raw.createdAt) ?? new Date(0),
    startedAt: toDate(raw.startedAt),
    finishedAt: toDate(raw.finishedAt),
    deadlineAt: toDate(raw.deadlineAt),
    wakeAt: toDate(raw.wakeAt),
  };
}

function reviveStep(raw: Record<string, unknown>): StepRecord {
  const step = raw as unknown as StepRecord;
  return { ...step, startedAt: toDate(raw.startedAt), finishedAt: toDate(raw.finishedAt) };
}
