import { z } from 'zod';

/** Response shapes of the workflow and run routes, for the OpenAPI document. */

export const validationIssueSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    nodeId: z.string().optional(),
    field: z.string().optional(),
    edgeIndex: z.number().int().optional(),
    path: z.array(z.union([z.string(), z.number()])),
  })
  .meta({ id: 'ValidationIssue' });

export const documentSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'WorkflowDocument', description: 'DESIGN §3, schemaVersion 1' });

export const workflowSummarySchema = z
  .object({
    id: z.string().uuid(),
    workspaceId: z.string().uuid(),
    name: z.string(),
    status: z.enum(['draft', 'published', 'active']),
    active: z.boolean(),
    activeVersionId: z.string().uuid().nullable(),
    publishedVersionId: z.string().uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastRun: z.object({ id: z.string(), status: z.string(), createdAt: z.string() }).nullable().optional(),
  })
  .meta({ id: 'WorkflowSummary' });

export const workflowSchema = workflowSummarySchema
  .extend({
    draft: documentSchema,
    validation: z.object({
      ok: z.boolean(),
      issues: z.array(validationIssueSchema),
      /** Runs, but not as written (a sandbox limit above the server's is clamped). */
      warnings: z.array(validationIssueSchema),
    }),
  })
  .meta({ id: 'Workflow' });

export const versionSummarySchema = z
  .object({
    id: z.string().uuid(),
    workflowId: z.string().uuid(),
    number: z.number().int(),
    note: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
  })
  .meta({ id: 'WorkflowVersionSummary' });

export const versionSchema = versionSummarySchema
  .extend({ document: documentSchema })
  .meta({ id: 'WorkflowVersion' });

export const stepErrorSchema = z
  .object({
    message: z.string(),
    code: z.string().optional(),
    line: z.number().optional(),
    field: z.string().optional(),
  })
  .meta({ id: 'StepError' });

export const runSchema = z
  .object({
    id: z.string().uuid(),
    workspaceId: z.string().uuid(),
    workflowId: z.string().uuid(),
    versionId: z.string().uuid(),
    status: z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out']),
    triggerNodeId: z.string(),
    input: z.unknown(),
    output: z.unknown(),
    error: stepErrorSchema.nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    wakeAt: z.string().nullable(),
    retryOf: z.string().nullable(),
  })
  .meta({ id: 'Run' });

export const stepSchema = z
  .object({
    nodeId: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped', 'waiting', 'cancelled']),
    attempts: z.number().int(),
    input: z.unknown(),
    output: z.unknown(),
    ports: z.array(z.string()),
    error: stepErrorSchema.nullable(),
    logs: z.array(z.unknown()),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .meta({ id: 'Step' });

export const runWithStepsSchema = runSchema
  .extend({ version: z.number().int().nullable(), steps: z.array(stepSchema) })
  .meta({ id: 'RunWithSteps' });
