import type { Knex } from 'knex';
import type { WorkflowDocument } from '../../engine/document.js';
import type { NodeRole } from '../../engine/node.js';
import type { NodeRegistry } from '../../engine/registry.js';
import { sandboxLimitWarnings, validateWorkflow, type ValidationIssue } from '../../engine/validate.js';
import type {
  VersionRecord,
  WorkflowRecord,
  WorkflowRepository,
  WorkflowSummary,
} from '../db/workflow-repository.js';
import { assertPublishAllowed } from '../billing/gates.js';
import { assertSafetyPolicy } from '../safety/publish.js';
import { conflictError, notFoundError } from '../../engine/errors.js';
import type { WebhookRegistry } from '../hooks/webhook-registry.js';
import { assertPublisherMayPublish } from './publishers.js';
import { invalidDocument } from './validation.js';
import { readinessIssues } from './readiness.js';

export type WorkflowStatus = 'draft' | 'published' | 'active';

export interface LastRun {
  id: string;
  status: string;
  createdAt: string;
}

/** Callbacks other features hang on activation changes (schedules, ...). */
export interface ActivationListener {
  (event: { workspaceId: string; workflowId: string; active: boolean }): Promise<void> | void;
}

/**
 * The workflow lifecycle behind the routes: drafts are validated as they are saved (a draft
 * may be incomplete, its problems are returned for the canvas), publishing requires a valid
 * document, activation registers the version's webhooks.
 */
export class WorkflowService {
  private readonly listeners: ActivationListener[] = [];

  constructor(
    private readonly knex: Knex,
    private readonly workflows: WorkflowRepository,
    private readonly registry: NodeRegistry,
    private readonly webhooks: WebhookRegistry,
    /** The server's sandbox limits: a document asking for more is warned, then clamped at run time. */
    private readonly sandboxLimits?: () => { memoryMb: number; cpuTimeoutMs: number },
  ) {}

  nodeRegistry(): NodeRegistry {
    return this.registry;
  }

  onActivationChange(listener: ActivationListener): void {
    this.listeners.push(listener);
  }

  /** Shape errors refuse the save; graph and config problems are saved and reported. */
  checkDraft(input: unknown): { document: WorkflowDocument; issues: ValidationIssue[] } {
    const result = validateWorkflow(input, this.registry);
    if (!result.document) throw invalidDocument(result.issues, 'The document cannot be saved');
    return { document: result.document, issues: result.issues };
  }

  validate(document: unknown): ValidationIssue[] {
    return validateWorkflow(document, this.registry).issues;
  }

  /** Graph and config problems plus what the workspace lacks to run it (credentials, SMTP). */
  async validateForWorkspace(workspaceId: string, document: WorkflowDocument): Promise<ValidationIssue[]> {
    const issues = this.validate(document);
    return [...issues, ...(await readinessIssues(this.knex, this.registry, workspaceId, document))];
  }

  /** What will run, but not as written: limits above the server's (they are clamped). */
  warnings(document: WorkflowDocument): ValidationIssue[] {
    return this.sandboxLimits ? sandboxLimitWarnings(document, this.sandboxLimits()) : [];
  }

  async get(workspaceId: string, workflowId: string): Promise<WorkflowRecord> {
    const workflow = await this.workflows.get(workflowId, { workspaceId });
    if (!workflow) throw notFoundError('The workflow');
    return workflow;
  }

  async publish(
    workspaceId: string,
    workflowId: string,
    note: string | undefined,
    publisher: { userId: string | null; role: NodeRole },
  ): Promise<VersionRecord> {
    const workflow = await this.get(workspaceId, workflowId);
    const result = validateWorkflow(workflow.draft, this.registry);
    if (!result.ok) throw invalidDocument(result.issues, 'Fix the workflow before publishing');
    // A node that does what a route restricts (changing the plan: owners) needs that role to publish.
    if (result.document) assertPublisherMayPublish(this.registry, result.document, publisher.role);
    // Feature gates: a node the plan does not include is refused (402), naming the plan that has it.
    if (result.document) await assertPublishAllowed(this.knex, this.registry, workspaceId, result.document);
    // The workspace safety policy: every path to an outbound node passes the required guardrails.
    if (result.document) await assertSafetyPolicy(this.knex, this.registry, workspaceId, result.document);
    // Last: a credential or SMTP server the run would miss halfway through (issue 18).
    if (result.document) {
      const missing = await readinessIssues(this.knex, this.registry, workspaceId, result.document);
      if (missing.length > 0) throw invalidDocument(missing, 'Fix the workflow before publishing');
    }
    const version = await this.workflows.publish(workflowId, note, {
      workspaceId,
      ...(publisher.userId ? { createdBy: publisher.userId } : {}),
    });
    // An active workflow follows its published version.
    if (workflow.active) await this.activate(workspaceId, workflowId, version.id);
    return version;
  }

  async activate(workspaceId: string, workflowId: string, versionId?: string): Promise<WorkflowRecord> {
    const workflow = await this.get(workspaceId, workflowId);
    const target = versionId ?? workflow.publishedVersionId;
    if (!target) throw conflictError('Publish the workflow before activating it');
    const version = await this.workflows.getVersion(target, { workspaceId });
    if (!version || version.workflowId !== workflowId) throw notFoundError('The version');
    const updated = await this.knex.transaction(async (trx) => {
      await this.webhooks.register(trx, version);
      return this.workflows.activate(workflowId, target, { workspaceId });
    });
    this.webhooks.invalidate(workspaceId);
    await this.notify({ workspaceId, workflowId, active: true });
    return updated;
  }

  async deactivate(workspaceId: string, workflowId: string): Promise<WorkflowRecord> {
    await this.get(workspaceId, workflowId);
    await this.webhooks.unregister(this.knex, workflowId);
    this.webhooks.invalidate(workspaceId);
    const updated = await this.workflows.deactivate(workflowId, { workspaceId });
    await this.notify({ workspaceId, workflowId, active: false });
    return updated;
  }

  async remove(workspaceId: string, workflowId: string): Promise<void> {
    await this.get(workspaceId, workflowId);
    await this.webhooks.unregister(this.knex, workflowId);
    this.webhooks.invalidate(workspaceId);
    await this.workflows.softDelete(workflowId, { workspaceId });
    await this.notify({ workspaceId, workflowId, active: false });
  }

  /** The newest run of each workflow, for the list. */
  async lastRuns(workspaceId: string, workflowIds: readonly string[]): Promise<Map<string, LastRun>> {
    if (workflowIds.length === 0) return new Map();
    const result = await this.knex.raw<{
      rows: Array<{ workflow_id: string; id: string; status: string; created_at: Date }>;
    }>(
      `SELECT DISTINCT ON (workflow_id) workflow_id, id, status, created_at FROM runs
        WHERE workspace_id = ? AND workflow_id = ANY(?::uuid[]) ORDER BY workflow_id, created_at DESC`,
      [workspaceId, [...workflowIds]],
    );
    const rows = result.rows;
    return new Map(
      rows.map((row) => [
        row.workflow_id,
        { id: row.id, status: row.status, createdAt: row.created_at.toISOString() },
      ]),
    );
  }

  private async notify(event: { workspaceId: string; workflowId: string; active: boolean }): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}

export function statusOf(workflow: WorkflowSummary): WorkflowStatus {
  if (workflow.active) return 'active';
  return workflow.publishedVersionId ? 'published' : 'draft';
}
