import type { Knex } from 'knex';
import { z } from 'zod';
import type { RunEvent } from '../../engine/execution.js';
import type { Runtime } from '../../engine/runtime.js';
import { finishedRunStatuses, type RunRecord } from '../../engine/store.js';
import type { PgRunStore } from '../db/pg-run-store.js';
import { runFromRow, type RunRow } from '../db/run-rows.js';
import { conflict, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { runSchema, runWithStepsSchema } from '../workflows/schemas.js';
import { presentRun, presentStep } from './present.js';

export interface RunRouteDeps {
  knex: Knex;
  /** Read per request: the engine may be set up after the routes. */
  store: () => PgRunStore;
  runtime: () => Runtime;
}

const base = '/api/v1/workspaces/:workspaceId/runs';
const runParams = z.object({ workspaceId: z.string().uuid(), runId: z.string().uuid() });
const problems = problemResponses(400, 401, 403, 404);
const conflictProblem = problemResponses(409);
const runStatuses = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const;
const SSE_HEARTBEAT_MS = 15_000;

const executorSchema = z
  .object({
    id: z.string().describe('The executor id: host:pid:tail'),
    host: z.string().nullable(),
    pid: z.number().int().nullable(),
  })
  .nullable()
  .describe('The executor (a worker in queue mode) that last ran the run; null before any did');
const runDetailSchema = runWithStepsSchema.extend({ executor: executorSchema });

/** Who ran the run last (runs.executed_by), with its host and pid while its row is kept. */
async function executorOf(knex: Knex, runId: string): Promise<z.infer<typeof executorSchema>> {
  const row = await knex('runs as r')
    .leftJoin('executors as e', 'e.id', 'r.executed_by')
    .where('r.id', runId)
    .first<{ executed_by: string | null; host: string | null; pid: number | null } | undefined>(
      'r.executed_by',
      'e.host',
      'e.pid',
    );
  if (!row?.executed_by) return null;
  // Executor rows go a day after their process does; the id itself says host:pid.
  const parts = row.executed_by.split(':');
  const parsedPid = parts.length === 3 ? Number(parts[1]) : NaN;
  return {
    id: row.executed_by,
    host: row.host ?? (parts.length === 3 ? (parts[0] ?? null) : null),
    pid: row.pid ?? (Number.isInteger(parsedPid) ? parsedPid : null),
  };
}

export function runRoutes(deps: RunRouteDeps): AnyRoute[] {
  const { knex } = deps;
  const store = {
    getRun: (id: string) => deps.store().getRun(id),
    getSteps: (id: string) => deps.store().getSteps(id),
  };
  const runtime = (): Runtime => deps.runtime();

  const runInWorkspace = async (workspaceId: string, runId: string): Promise<RunRecord> => {
    const run = await store.getRun(runId);
    if (!run || run.workspaceId !== workspaceId) throw notFound('The run');
    return run;
  };

  const withSteps = async (run: RunRecord) => {
    const [committed, version, executor] = await Promise.all([
      store.getSteps(run.id),
      knex('workflow_versions').where({ id: run.versionId }).first('number') as Promise<
        { number: number } | undefined
      >,
      executorOf(knex, run.id),
    ]);
    // Pure steps of a run executing here are committed only at its end: show them live too.
    const byNode = new Map(committed.map((step) => [step.nodeId, step]));
    for (const step of runtime().engine.liveSteps(run.id)) byNode.set(step.nodeId, step);
    return {
      ...presentRun(run),
      version: version?.number ?? null,
      executor,
      steps: [...byNode.values()].map(presentStep),
    };
  };

  const routes = [
    defineRoute({
      method: 'get',
      path: base,
      summary: 'Runs, newest first, with cursor pagination and filters',
      tags: ['runs'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.string().uuid() }),
      query: z.object({
        workflowId: z.string().uuid().optional(),
        status: z.enum(runStatuses).optional(),
        from: z.iso.datetime({ offset: true }).optional().describe('Created at or after'),
        to: z.iso.datetime({ offset: true }).optional().describe('Created before'),
        cursor: z.string().uuid().optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: {
        200: {
          description: 'A page of runs',
          schema: z.object({ items: z.array(runSchema), nextCursor: z.string().nullable() }),
        },
        ...problems,
      },
      handler: async ({ workspace, query }) => {
        // Newest first by creation time, whatever made the id (random, derived from an event, a
        // tick or a parent run); the id breaks ties. The cursor is the last run's id.
        const rows = (await knex('runs')
          .where('workspace_id', workspace!.id)
          .modify((q) => {
            if (query.workflowId) q.where('workflow_id', query.workflowId);
            if (query.status) q.where('status', query.status);
            if (query.from) q.where('created_at', '>=', new Date(query.from));
            if (query.to) q.where('created_at', '<', new Date(query.to));
            if (query.cursor)
              q.whereRaw('(created_at, id) < (SELECT created_at, id FROM runs WHERE id = ? AND workspace_id = ?)', [
                query.cursor,
                workspace!.id,
              ]);
          })
          .orderBy([
            { column: 'created_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(query.limit + 1)
          .select('*')) as RunRow[];
        const page = rows.slice(0, query.limit).map(runFromRow);
        return {
          status: 200,
          body: {
            items: page.map(presentRun),
            nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:runId`,
      summary: 'A run with its version and every step: status, attempts, input, output, error, timings',
      tags: ['runs'],
      auth: { workspaceRole: 'viewer' },
      params: runParams,
      responses: { 200: { description: 'The run', schema: runDetailSchema }, ...problems },
      handler: async ({ workspace, params }) => ({
        status: 200,
        body: await withSteps(await runInWorkspace(workspace!.id, params.runId)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:runId/cancel`,
      summary: 'Cancel a queued, running or waiting run',
      tags: ['runs'],
      auth: { workspaceRole: 'member' },
      params: runParams,
      responses: {
        202: { description: 'Cancellation requested', schema: runSchema },
        ...conflictProblem,
        ...problems,
      },
      handler: async ({ workspace, params }) => {
        const run = await runInWorkspace(workspace!.id, params.runId);
        if (finishedRunStatuses.has(run.status))
          throw conflict(
            `The run has already ${run.status === 'succeeded' ? 'succeeded' : 'ended'} (${run.status})`,
          );
        const updated = (await runtime().cancel(run.id)) ?? run;
        return { status: 202, body: presentRun(updated) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:runId/retry`,
      summary: 'Retry a failed run from its failed step, with the published version',
      tags: ['runs'],
      auth: { workspaceRole: 'member' },
      params: runParams,
      responses: { 202: { description: 'The new run', schema: runSchema }, ...conflictProblem, ...problems },
      handler: async ({ workspace, params }) => {
        const run = await runInWorkspace(workspace!.id, params.runId);
        if (!finishedRunStatuses.has(run.status) || run.status === 'succeeded') {
          throw conflict(
            `Only failed, cancelled or timed-out runs can be retried; this one is ${run.status}`,
          );
        }
        const workflow = await knex('workflows')
          .where({ id: run.workflowId, workspace_id: workspace!.id })
          .first<{ published_version_id: string | null } | undefined>('published_version_id');
        const retried = await runtime().retryRun(run.id, workflow?.published_version_id ?? run.versionId);
        return { status: 202, body: presentRun(retried) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:runId/events`,
      summary: 'Live step and run updates as Server-Sent Events (snapshot first)',
      tags: ['runs'],
      auth: { workspaceRole: 'viewer' },
      params: runParams,
      responses: {
        200: {
          description: 'text/event-stream: snapshot, step, run events',
          contentType: 'text/event-stream',
          schema: z.string(),
        },
        ...problems,
      },
      handler: async ({ workspace, params, req, res }) => {
        const run = await runInWorkspace(workspace!.id, params.runId);
        res.status(200).set({
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.flushHeaders();
        const send = (event: string, data: unknown): void => {
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        // Subscribe before the snapshot so nothing falls between the two.
        const buffered: RunEvent[] = [];
        let live = false;
        let closed = false;
        const close = (): void => {
          if (closed) return;
          closed = true;
          unsubscribe();
          clearInterval(heartbeat);
          res.end();
        };
        const forward = (event: RunEvent): void => {
          if (event.type === 'step') send('step', presentStep(event.step));
          else {
            send('run', presentRun(event.run));
            // At the end, a full snapshot from the database: a viewer that joined mid-run (or
            // whose events came from a worker) ends with every step, whatever it missed.
            if (finishedRunStatuses.has(event.run.status)) void finalSnapshot(event.run);
          }
        };
        const finalSnapshot = async (ended: RunRecord): Promise<void> => {
          try {
            const snapshot = await withSteps((await store.getRun(run.id)) ?? ended);
            if (!closed) send('snapshot', snapshot);
          } catch {
            // The stream ends either way; the viewer can reload the run.
          } finally {
            close();
          }
        };
        // runtime.subscribe: in queue mode the events come from the workers.
        const unsubscribe = runtime().subscribeRun(run.id, (event) => {
          if (live) forward(event);
          else buffered.push(event);
        });
        const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
        req.on('close', close);
        const snapshot = await withSteps((await store.getRun(run.id)) ?? run);
        send('snapshot', snapshot);
        live = true;
        for (const event of buffered.splice(0)) forward(event);
        if (finishedRunStatuses.has(snapshot.status)) close();
        return undefined;
      },
    }),
  ];
  return routes;
}
