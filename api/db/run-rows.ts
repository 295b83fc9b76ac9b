import { jsonText, type Json } from '../../engine/json.js';
import type { RunRecord, RunStatus, StepError, StepRecord, StepStatus } from '../../engine/store.js';

/** How runs and steps look in Postgres (snake_case), and the mapping to the engine's records. */

export const RUN_COLUMN_NAMES = [
  'id',
  'workspace_id',
  'workflow_id',
  'version_id',
  'status',
  'trigger_node_id',
  'input',
  'error',
  'output',
  'created_at',
  'started_at',
  'finished_at',
  'deadline_at',
  'wake_at',
  'executor_id',
  'cancel_requested',
  'retry_of',
  'parent_run_id',
  'parent_node_id',
] as const;

export const STEP_COLUMN_NAMES = [
  'run_id',
  'node_id',
  'status',
  'attempts',
  'input',
  'output',
  'ports',
  'error',
  'logs',
  'started_at',
  'finished_at',
  'wait',
  'interruptions',
] as const;

/** `a, b, c` or, with an alias, `t.a, t.b, t.c`. */
export function columnList(names: readonly string[], alias?: string): string {
  return alias === undefined ? names.join(', ') : names.map((name) => `${alias}.${name}`).join(', ');
}

export interface RunRow {
  id: string;
  workspace_id: string;
  workflow_id: string;
  version_id: string;
  status: RunStatus;
  trigger_node_id: string;
  input: Json | null;
  error: StepError | null;
  output: Json | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  deadline_at: Date | null;
  wake_at: Date | null;
  executor_id: string | null;
  cancel_requested: boolean;
  retry_of: string | null;
  /** Sub-workflow runs (migrations/20261127000008_waits.ts). */
  parent_run_id?: string | null;
  parent_node_id?: string | null;
}

/** A step row as `pg` parses it, or as `json_agg` renders it (timestamps then are strings). */
export interface StepRow {
  run_id: string;
  node_id: string;
  status: StepStatus;
  attempts: number;
  input: Json | null;
  output: Json | null;
  ports: string[] | null;
  error: StepError | null;
  logs: Json[] | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  wait: Json | null;
  interruptions: number;
}

function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

export function runFromRow(row: RunRow): RunRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    workflowId: row.workflow_id,
    versionId: row.version_id,
    status: row.status,
    triggerNodeId: row.trigger_node_id,
    input: row.input ?? null,
    error: row.error ?? null,
    output: row.output ?? null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    deadlineAt: row.deadline_at,
    wakeAt: row.wake_at,
    executorId: row.executor_id,
    cancelRequested: row.cancel_requested,
    retryOf: row.retry_of,
    // Only sub-workflow runs carry these: every other record stays as it was.
    ...(row.parent_run_id
      ? { parentRunId: row.parent_run_id, parentNodeId: row.parent_node_id ?? null }
      : {}),
  };
}

export function stepFromRow(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    nodeId: row.node_id,
    status: row.status,
    attempts: row.attempts,
    input: row.input ?? null,
    output: row.output ?? null,
    ports: row.ports ?? [],
    error: row.error ?? null,
    logs: row.logs ?? [],
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    wait: row.wait ?? null,
    interruptions: row.interruptions,
  };
}

/**
 * JSON text for a jsonb parameter. Postgres' jsonb cannot hold U+0000, which user code can
 * produce; one such string would otherwise make every commit of the run fail, so it becomes
 * U+FFFD. (The lookbehind skips an escaped backslash followed by the letters "u0000".)
 */
export function toJsonText(value: unknown): string {
  return withoutNul(JSON.stringify(value) ?? 'null');
}

function withoutNul(text: string): string {
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

/**
 * toJsonText of a record whose `input` and `output` are payloads: those come from jsonText's
 * cache (a step's input is its upstream's output, already serialised when it was measured).
 */
export function payloadRecordText(record: { input?: unknown; output?: unknown }, extra?: object): string {
  const { input, output, ...rest } = record;
  const head = JSON.stringify(extra ? { ...rest, ...extra } : rest);
  const parts: string[] = [head.slice(0, -1)];
  if (input !== undefined) parts.push(`${head.length > 2 ? ',' : ''}"input":${jsonText(input)}`);
  if (output !== undefined)
    parts.push(`${head.length > 2 || input !== undefined ? ',' : ''}"output":${jsonText(output)}`);
  parts.push('}');
  return withoutNul(parts.join(''));
}
