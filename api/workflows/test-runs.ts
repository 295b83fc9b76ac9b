import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { nodeIdSchema, type WorkflowDocument } from '../../engine/document.js';
import { DomainError } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { isTrigger, outputPortsOf } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';
import type { Runtime } from '../../engine/runtime.js';
import type { StepRecord } from '../../engine/store.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { presentRun } from '../runs/present.js';
import { runSchema } from './schemas.js';
import type { WorkflowService } from './service.js';
import { invalidDocument } from './validation.js';

/**
 * Test runs of the draft (issue 18): the whole workflow, up to a node, or one node alone,
 * without publishing. The draft (cut down to what is asked) is frozen as a version of a hidden
 * companion workflow — never listed, never active, so it registers no webhook and moves no
 * production traffic — and runs as a run of the real workflow. A run whose version belongs to
 * another workflow is a test run: that is the one definition the API and billing use.
 * Pinned data of the draft (`pinData`) seeds the pinned nodes' steps, so they do not run.
 */

const COMPANION_PREFIX = '__revflow_test_runs__:';
/** Test runs skip the plan's runs quota; this cap (per workspace) keeps them from being abused. */
export const TEST_RUNS_PER_HOUR = 200;

export interface TestRunDeps {
  knex: Knex;
  service: WorkflowService;
  runtime: () => Runtime;
}

const base = '/api/v1/workspaces/:workspaceId/workflows/:id';
const params = z.object({ workspaceId: z.string().uuid(), id: z.string().uuid() });

export const testRunBodySchema = z
  .object({
    mode: z
      .enum(['workflow', 'until', 'node'])
      .default('workflow')
      .describe('workflow: everything; until: the node and what leads to it; node: that node alone'),
    nodeId: nodeIdSchema.optional(),
    input: z.unknown().optional().describe('The trigger input (workflow, until) or the node input (node)'),
    fromLastRun: z
      .boolean()
      .default(true)
      .describe('Take missing inputs and upstream outputs from the last run of this workflow'),
  })
  .refine((body) => body.mode === 'workflow' || body.nodeId !== undefined, {
    message: 'name the node (nodeId) to run up to or alone',
    path: ['nodeId'],
  });
type TestRunBody = z.infer<typeof testRunBodySchema>;

export function testRunRoutes(deps: TestRunDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: `${base}/test-runs`,
      summary: 'Test-run the draft (whole, up to a node, or one node) without publishing; marked test: true',
      tags: ['runs'],
      auth: { workspaceRole: 'member' },
      params,
      body: testRunBodySchema,
      responses: {
        202: { description: 'Started', schema: runSchema.extend({ test: z.literal(true) }) },
        ...problemResponses(400, 401, 403, 404, 429),
      },
      handler: async ({ workspace, params: p, body }) => {
        const run = await startTestRun(deps, workspace!.id, p.id, body);
        return {
          status: 202,
          body: { ...presentRun(run), test: true as const },
          headers: { Location: `/api/v1/workspaces/${workspace!.id}/runs/${run.id}` },
        };
      },
    }),
  ];
}

const recent = new Map<string, number[]>();
function admitTestRun(workspaceId: string): void {
  const now = Date.now();
  const times = (recent.get(workspaceId) ?? []).filter((t) => now - t < 3_600_000);
  if (times.length >= TEST_RUNS_PER_HOUR) {
    throw new DomainError(
      'rate_limited',
      'test_runs_limited',
      `At most ${TEST_RUNS_PER_HOUR} test runs an hour per workspace; try again later or publish and run`,
    );
  }
  times.push(now);
  recent.set(workspaceId, times);
}

export async function startTestRun(
  deps: TestRunDeps,
  workspaceId: string,
  workflowId: string,
  body: TestRunBody,
): Promise<Awaited<ReturnType<Runtime['startRun']>>> {
  const workflow = await deps.service.get(workspaceId, workflowId);
  const registry = deps.service.nodeRegistry();
  const draft = workflow.draft;
  if (body.nodeId !== undefined && !draft.nodes.some((n) => n.id === body.nodeId))
    throw new DomainError('invalid', 'unknown_node', `The draft has no node "${body.nodeId}"`, 'nodeId');
  const keep = body.mode === 'workflow' ? undefined : withAncestors(draft, body.nodeId!);
  const document = cut(draft, keep);
  const issues = await deps.service.validateForWorkspace(workspaceId, document);
  if (issues.length > 0) throw invalidDocument(issues, 'Fix the workflow before testing it');

  const last = body.fromLastRun ? await lastRunOf(deps, workspaceId, workflowId) : undefined;
  const seeds = new Map<string, Json>();
  for (const [nodeId, value] of Object.entries(draft.pinData ?? {}))
    if (document.nodes.some((n) => n.id === nodeId)) seeds.set(nodeId, value as Json);
  let input: Json = (body.input as Json | undefined) ?? last?.input ?? {};
  if (body.mode === 'node') {
    const target = body.nodeId!;
    const parents = document.edges.filter((e) => e.to === target).map((e) => e.from);
    for (const node of document.nodes) {
      if (node.id === target || seeds.has(node.id)) continue;
      const recorded = last?.outputs.get(node.id);
      if (recorded !== undefined) seeds.set(node.id, recorded);
    }
    // A typed input is what the node receives: its parents' output (or the run input of a trigger).
    if (body.input !== undefined) for (const parent of parents) seeds.set(parent, body.input as Json);
    seeds.delete(target);
    if (body.input === undefined && last) input = last.input;
  }
  const trigger = pickTrigger(document, registry, body.nodeId);
  if (!trigger) throw invalidDocument([{ code: 'no_trigger', message: 'The workflow has no trigger: add one to test it', path: ['nodes'] }]);

  admitTestRun(workspaceId);
  const version = await snapshot(deps.knex, workspaceId, workflow.id, workflow.name, document);
  const now = new Date();
  const steps: StepRecord[] = [...seeds].map(([nodeId, output]) => {
    const spec = document.nodes.find((n) => n.id === nodeId)!;
    const type = registry.get(spec.type);
    let ports: readonly string[] = ['out'];
    try {
      if (type) ports = outputPortsOf(type, spec.config);
    } catch {
      // Ports depending on an invalid config: the default port.
    }
    return {
      runId: '',
      nodeId,
      status: 'succeeded',
      attempts: 0,
      input: null,
      output,
      ports: [ports.includes('out') ? 'out' : (ports[0] ?? 'out')],
      error: null,
      logs: [{ level: 'info', message: 'Pinned or earlier data: this step did not run' }],
      startedAt: now,
      finishedAt: now,
      wait: null,
      interruptions: 0,
    };
  });
  // Not startRun: that would count the run against the plan's runs quota (runtime `admit`).
  const runtime = deps.runtime();
  const run = await runtime.engine.createRun({
    workspaceId,
    workflowId: workflow.id,
    versionId: version,
    input,
    triggerNodeId: trigger,
    steps,
    claim: false,
  });
  await runtime.dispatcher.dispatch({
    runId: run.id,
    workspaceId,
    workflowId: workflow.id,
    versionId: version,
    reason: 'start',
  });
  return run;
}

/** The node and every node with a path to it. */
function withAncestors(document: WorkflowDocument, nodeId: string): Set<string> {
  const keep = new Set([nodeId]);
  const stack = [nodeId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const edge of document.edges)
      if (edge.to === id && !keep.has(edge.from)) {
        keep.add(edge.from);
        stack.push(edge.from);
      }
  }
  return keep;
}

function cut(document: WorkflowDocument, keep: Set<string> | undefined): WorkflowDocument {
  const { pinData: _pins, ...rest } = document;
  if (!keep) return rest;
  return {
    ...rest,
    nodes: rest.nodes.filter((n) => keep.has(n.id)),
    edges: rest.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
  };
}

function pickTrigger(document: WorkflowDocument, registry: NodeRegistry, nodeId?: string): string | undefined {
  const triggers = document.nodes.filter((n) => {
    const type = registry.get(n.type);
    return type !== undefined && isTrigger(type);
  });
  const wanted = triggers.find((n) => n.id === nodeId) ?? triggers.find((n) => n.type === 'trigger.manual');
  return (wanted ?? triggers[0])?.id;
}

interface LastRun {
  input: Json;
  outputs: Map<string, Json>;
}

async function lastRunOf(deps: TestRunDeps, workspaceId: string, workflowId: string): Promise<LastRun | undefined> {
  const row = await deps
    .knex('runs')
    .where({ workspace_id: workspaceId, workflow_id: workflowId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first<{ id: string; input: Json } | undefined>('id', 'input');
  if (!row) return undefined;
  const steps = await deps.runtime().engine.store.getSteps(row.id);
  const outputs = new Map<string, Json>();
  for (const step of steps) if (step.status === 'succeeded') outputs.set(step.nodeId, step.output);
  return { input: row.input ?? {}, outputs };
}

/** The hidden companion workflow holding a workflow's test snapshots (created on first use). */
export async function companionOf(
  knex: Knex | Knex.Transaction,
  workspaceId: string,
  workflowId: string,
): Promise<string | undefined> {
  const row = await knex('workflows')
    .where({ workspace_id: workspaceId, name: `${COMPANION_PREFIX}${workflowId}` })
    .orderBy('id')
    .first<{ id: string } | undefined>('id');
  return row?.id;
}

/** The companion's id, created (deleted from birth: no list, route or trigger sees it) on first use. */
export async function ensureCompanion(
  knex: Knex | Knex.Transaction,
  workspaceId: string,
  workflowId: string,
  name: string,
  document: WorkflowDocument,
): Promise<string> {
  const found = await companionOf(knex, workspaceId, workflowId);
  if (found) return found;
  const id = uuidv7();
  const now = new Date();
  // A concurrent creator of the same companion loses on the name check below and reuses the winner's.
  await knex('workflows').insert({
    id,
    workspace_id: workspaceId,
    name: `${COMPANION_PREFIX}${workflowId}`,
    draft: JSON.stringify({ ...document, name: `Test runs of ${name}`.slice(0, 200) }),
    active: false,
    created_at: now,
    updated_at: now,
    deleted_at: now,
  });
  return (await companionOf(knex, workspaceId, workflowId)) ?? id;
}

/** Freeze the test document as a version of the companion; returns the version id. */
async function snapshot(
  knex: Knex,
  workspaceId: string,
  workflowId: string,
  name: string,
  document: WorkflowDocument,
): Promise<string> {
  return knex.transaction(async (trx) => {
    // One creator of the companion and one numberer of its versions at a time.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`${COMPANION_PREFIX}${workflowId}`]);
    const companion = await ensureCompanion(trx, workspaceId, workflowId, name, document);
    const last = await trx('workflow_versions')
      .where({ workflow_id: companion })
      .max<{ max: number | null }>('number as max')
      .first();
    const id = uuidv7();
    await trx('workflow_versions').insert({
      id,
      workflow_id: companion,
      workspace_id: workspaceId,
      number: (last?.max ?? 0) + 1,
      document: JSON.stringify(document),
      note: `Test run of workflow ${workflowId}`,
    });
    return id;
  });
}

/** Is `versionId` a test snapshot of `workflowId` (a version of its companion)? */
export async function isTestVersionOf(
  knex: Knex,
  workspaceId: string,
  workflowId: string,
  versionWorkflowId: string,
): Promise<boolean> {
  return (await companionOf(knex, workspaceId, workflowId)) === versionWorkflowId;
}

