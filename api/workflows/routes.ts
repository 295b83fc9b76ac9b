// Over 400 lines: one route table for the workflow lifecycle (CRUD, publish, versions, activation, runs of a workflow).
import type { Request } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { Runtime } from '../../engine/runtime.js';
import type { WorkflowRecord, WorkflowRepository, WorkflowSummary } from '../db/workflow-repository.js';
import { conflict, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute, type Principal } from '../http/route.js';
import type { WebhookRegistry } from '../hooks/webhook-registry.js';
import { presentRun } from '../runs/present.js';
import {
  documentSchema,
  runSchema,
  versionSchema,
  versionSummarySchema,
  workflowSchema,
  workflowSummarySchema,
} from './schemas.js';
import { statusOf, type LastRun, type WorkflowService } from './service.js';
import { importedWorkflowSchema, prepareImport } from './import/index.js';
import { isTestVersionOf, testRunRoutes } from './test-runs.js';
import { testHookRoutes } from './test-hooks.js';

export interface WorkflowRouteDeps {
  workflows: WorkflowRepository;
  service: WorkflowService;
  runtime: () => Runtime;
  webhooks: WebhookRegistry;
  publicUrl: string;
  knex: Knex;
}

const base = '/api/v1/workspaces/:workspaceId/workflows';
const workspaceParams = z.object({ workspaceId: z.string().uuid() });
const workflowParams = workspaceParams.extend({ id: z.string().uuid() });
const problems = problemResponses(400, 401, 403, 404);
const conflictProblem = problemResponses(409);

function presentSummary(workflow: WorkflowSummary, lastRun?: LastRun | null) {
  return {
    id: workflow.id,
    workspaceId: workflow.workspaceId,
    name: workflow.name,
    status: statusOf(workflow),
    active: workflow.active,
    activeVersionId: workflow.activeVersionId,
    publishedVersionId: workflow.publishedVersionId,
    createdAt: workflow.createdAt.toISOString(),
    updatedAt: workflow.updatedAt.toISOString(),
    lastRun: lastRun ?? null,
  };
}

export function workflowRoutes(deps: WorkflowRouteDeps): AnyRoute[] {
  const { workflows, service } = deps;
  const runtime = (): Runtime => deps.runtime();
  // Validation includes what the workspace lacks to run the draft (credentials, SMTP): issue 18.
  const present = async (workflow: WorkflowRecord) => {
    const issues = await service.validateForWorkspace(workflow.workspaceId, workflow.draft);
    return {
      ...presentSummary(workflow),
      draft: workflow.draft,
      validation: { ok: issues.length === 0, issues, warnings: service.warnings(workflow.draft) },
    };
  };
  const record = (
    req: Request,
    principal: Principal | null,
    workspaceId: string,
    action: string,
    target: string,
    metadata?: Record<string, unknown>,
  ) =>
    audit(deps.knex, {
      workspaceId,
      ...auditSource(req, principal),
      action,
      target: { type: 'workflow', id: target },
      ...(metadata ? { metadata } : {}),
    });

  const routes = [
    defineRoute({
      method: 'get',
      path: base,
      summary: 'List workflows, with status and last run',
      tags: ['workflows'],
      auth: { workspaceRole: 'viewer' },
      params: workspaceParams,
      query: z.object({
        q: z.string().max(200).optional().describe('Search in names'),
        status: z.enum(['draft', 'published', 'active']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      responses: {
        200: { description: 'Workflows', schema: z.object({ items: z.array(workflowSummarySchema) }) },
        ...problems,
      },
      handler: async ({ workspace, query }) => {
        let items = await workflows.list(workspace!.id, { limit: 500 });
        if (query.q) items = items.filter((w) => w.name.toLowerCase().includes(query.q!.toLowerCase()));
        if (query.status) items = items.filter((w) => statusOf(w) === query.status);
        items = items.slice(query.offset, query.offset + query.limit);
        const lastRuns = await service.lastRuns(
          workspace!.id,
          items.map((w) => w.id),
        );
        return { status: 200, body: { items: items.map((w) => presentSummary(w, lastRuns.get(w.id))) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: base,
      summary: 'Create a workflow from a document (its first draft)',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      body: documentSchema,
      responses: { 201: { description: 'Created', schema: workflowSchema }, ...problems },
      handler: async ({ req, workspace, body, principal }) => {
        const { document } = service.checkDraft(body);
        const workflow = await workflows.createWorkflow(workspace!.id, document);
        await record(req, principal, workspace!.id, 'workflow.create', workflow.id);
        return { status: 201, body: await present(workflow) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/import`,
      summary: 'Import a workflow: our exported document, or an n8n workflow with a per-node report',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      body: documentSchema,
      responses: { 201: { description: 'Imported', schema: importedWorkflowSchema }, ...problems },
      handler: async ({ req, workspace, body, principal }) => {
        // n8n exports are told apart by shape and mapped to a draft (api/workflows/import, issue 19).
        const { document: input, report } = prepareImport(body);
        const { document } = service.checkDraft(input);
        const workflow = await workflows.createWorkflow(workspace!.id, document);
        const from = report ? { from: 'n8n' } : undefined;
        await record(req, principal, workspace!.id, 'workflow.import', workflow.id, from);
        return { status: 201, body: { ...(await present(workflow)), importReport: report } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id`,
      summary: 'A workflow with its draft and the draft validation',
      tags: ['workflows'],
      auth: { workspaceRole: 'viewer' },
      params: workflowParams,
      responses: { 200: { description: 'The workflow', schema: workflowSchema }, ...problems },
      handler: async ({ workspace, params }) => ({
        status: 200,
        body: await present(await service.get(workspace!.id, params.id)),
      }),
    }),
    defineRoute({
      method: 'put',
      path: `${base}/:id`,
      summary: 'Save the draft; problems are returned for the canvas, shape errors refuse the save',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      body: documentSchema,
      responses: { 200: { description: 'Saved', schema: workflowSchema }, ...problems },
      handler: async ({ workspace, params, body }) => {
        const { document } = service.checkDraft(body);
        const saved = await workflows.saveDraft(params.id, document, { workspaceId: workspace!.id });
        if (!saved) throw notFound('The workflow');
        return { status: 200, body: await present(saved) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/:id`,
      summary: 'Delete a workflow (its versions and runs stay on record)',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      responses: { 204: { description: 'Deleted' }, ...problems },
      handler: async ({ req, workspace, params, principal }) => {
        await service.remove(workspace!.id, params.id);
        await record(req, principal, workspace!.id, 'workflow.delete', params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/publish`,
      summary: 'Freeze the draft as a new immutable version',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      body: z.object({ note: z.string().max(2000).optional() }).default({}),
      responses: { 201: { description: 'Published', schema: versionSchema }, ...problems },
      handler: async ({ req, workspace, params, body, principal }) => {
        const version = await service.publish(workspace!.id, params.id, body.note, {
          userId: principal?.userId ?? null,
          role: workspace!.role,
        });
        // The version id lets the run-time role check find an API key that published it.
        await record(req, principal, workspace!.id, 'workflow.publish', params.id, {
          version: version.number,
          versionId: version.id,
        });
        return { status: 201, body: presentVersion(version) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id/versions`,
      summary: 'Published versions, newest first',
      tags: ['workflows'],
      auth: { workspaceRole: 'viewer' },
      params: workflowParams,
      responses: {
        200: { description: 'Versions', schema: z.object({ items: z.array(versionSummarySchema) }) },
        ...problems,
      },
      handler: async ({ workspace, params }) => {
        await service.get(workspace!.id, params.id);
        const versions = await workflows.listVersions(params.id, { workspaceId: workspace!.id });
        return { status: 200, body: { items: versions.map(presentVersion) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id/versions/:versionId`,
      summary: 'One version with its document',
      tags: ['workflows'],
      auth: { workspaceRole: 'viewer' },
      params: workflowParams.extend({ versionId: z.string().uuid() }),
      responses: { 200: { description: 'The version', schema: versionSchema }, ...problems },
      handler: async ({ workspace, params }) => {
        const version = await workflows.getVersion(params.versionId, { workspaceId: workspace!.id });
        // A test run's version is a snapshot kept by the workflow's hidden companion (test-runs.ts).
        const mine =
          version &&
          (version.workflowId === params.id ||
            (await isTestVersionOf(deps.knex, workspace!.id, params.id, version.workflowId)));
        if (!version || !mine) throw notFound('The version');
        return { status: 200, body: presentVersion(version) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/activate`,
      summary: 'Let triggers start runs of the published (or given) version',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      body: z.object({ versionId: z.string().uuid().optional() }).default({}),
      responses: {
        200: { description: 'Active', schema: workflowSummarySchema },
        ...conflictProblem,
        ...problems,
      },
      handler: async ({ req, workspace, params, body, principal }) => {
        const workflow = await service.activate(workspace!.id, params.id, body.versionId);
        await record(req, principal, workspace!.id, 'workflow.activate', params.id);
        return { status: 200, body: presentSummary(workflow) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/deactivate`,
      summary: 'Stop triggers; runs in progress carry on',
      tags: ['workflows'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      responses: { 200: { description: 'Inactive', schema: workflowSummarySchema }, ...problems },
      handler: async ({ req, workspace, params, principal }) => {
        const workflow = await service.deactivate(workspace!.id, params.id);
        await record(req, principal, workspace!.id, 'workflow.deactivate', params.id);
        return { status: 200, body: presentSummary(workflow) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id/export`,
      summary: 'The draft document as a JSON file',
      tags: ['workflows'],
      auth: { workspaceRole: 'viewer' },
      params: workflowParams,
      responses: { 200: { description: 'The document', schema: documentSchema }, ...problems },
      handler: async ({ workspace, params }) => {
        const workflow = await service.get(workspace!.id, params.id);
        const fileName = `${workflow.name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 80) || 'workflow'}.json`;
        return {
          status: 200,
          body: workflow.draft,
          headers: { 'Content-Disposition': `attachment; filename="${fileName}"` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id/webhooks`,
      summary: 'Webhook URLs of the active version, with signing secrets',
      tags: ['workflows', 'webhooks'],
      auth: { workspaceRole: 'admin' },
      params: workflowParams,
      responses: {
        200: {
          description: 'Webhooks',
          schema: z.object({
            items: z.array(
              z.object({
                nodeId: z.string(),
                url: z.string(),
                method: z.string(),
                signed: z.boolean(),
                secret: z.string().nullable(),
              }),
            ),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace, params }) => {
        const workflow = await service.get(workspace!.id, params.id);
        const versionId = workflow.activeVersionId ?? workflow.publishedVersionId;
        const version = versionId
          ? await workflows.getVersion(versionId, { workspaceId: workspace!.id })
          : undefined;
        const document = version?.document ?? workflow.draft;
        const items = [];
        for (const node of document.nodes.filter((n) => n.type === 'trigger.webhook')) {
          const config = node.config as { path?: string; method?: string; signed?: boolean };
          items.push({
            nodeId: node.id,
            url: `${deps.publicUrl}/hooks/${workspace!.id}/${config.path ?? ''}`,
            method: config.method ?? 'POST',
            signed: config.signed === true,
            secret: config.signed ? await deps.webhooks.secretFor(workflow.id, node.id) : null,
          });
        }
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/webhooks/:nodeId/rotate-secret`,
      summary: 'Make a new signing secret for a webhook trigger',
      tags: ['workflows', 'webhooks'],
      auth: { workspaceRole: 'admin' },
      params: workflowParams.extend({ nodeId: z.string().min(1).max(64) }),
      responses: {
        200: { description: 'The new secret', schema: z.object({ secret: z.string() }) },
        ...problems,
      },
      handler: async ({ req, workspace, params, principal }) => {
        const workflow = await service.get(workspace!.id, params.id);
        if (
          !workflow.draft.nodes.some((node) => node.id === params.nodeId && node.type === 'trigger.webhook')
        ) {
          throw notFound('The webhook trigger');
        }
        const secret = await deps.webhooks.rotateSecret(workspace!.id, workflow.id, params.nodeId);
        await record(
          req,
          principal,
          workspace!.id,
          'webhook.rotate_secret',
          `${workflow.id}:${params.nodeId}`,
        );
        return { status: 200, body: { secret } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/runs`,
      summary: 'Run the published version now with an input; answers 202 with the run',
      tags: ['runs'],
      auth: { workspaceRole: 'member' },
      params: workflowParams,
      body: z
        .object({
          input: z.unknown().optional(),
          versionId: z.string().uuid().optional(),
          retryOf: z.string().uuid().optional().describe('A run of this workflow this one retries (edited input)'),
        })
        .default({}),
      responses: { 202: { description: 'Started', schema: runSchema }, ...conflictProblem, ...problems },
      handler: async ({ workspace, params, body }) => {
        const workflow = await service.get(workspace!.id, params.id);
        const versionId = body.versionId ?? workflow.publishedVersionId;
        if (!versionId) throw conflict('Publish the workflow before running it');
        const version = await workflows.getVersion(versionId, { workspaceId: workspace!.id });
        if (!version || version.workflowId !== workflow.id) throw notFound('The version');
        const manual = version.document.nodes.find((node) => node.type === 'trigger.manual');
        if (body.retryOf) {
          const previous = await deps
            .knex('runs')
            .where({ id: body.retryOf, workspace_id: workspace!.id, workflow_id: workflow.id })
            .first<{ id: string } | undefined>('id');
          if (!previous) throw notFound('The run to retry');
        }
        const run = await runtime().startRun({
          workspaceId: workspace!.id,
          workflowId: workflow.id,
          versionId,
          input: (body.input ?? {}) as never,
          ...(manual ? { triggerNodeId: manual.id } : {}),
          ...(body.retryOf ? { retryOf: body.retryOf } : {}),
        });
        return {
          status: 202,
          body: presentRun(run),
          headers: { Location: `/api/v1/workspaces/${workspace!.id}/runs/${run.id}` },
        };
      },
    }),
    ...testRunRoutes({ knex: deps.knex, service, runtime }),
    ...testHookRoutes({ knex: deps.knex, service, runtime, workflows, publicUrl: deps.publicUrl }),
  ];
  return routes;
}

function presentVersion(version: {
  id: string;
  workflowId: string;
  number: number;
  note: string | null;
  createdAt: Date;
  createdBy: string | null;
  document?: unknown;
}) {
  return {
    id: version.id,
    workflowId: version.workflowId,
    number: version.number,
    note: version.note,
    createdAt: version.createdAt.toISOString(),
    createdBy: version.createdBy,
    ...(version.document ? { document: version.document } : {}),
  };
}
