import type { Knex } from 'knex';
import type { WorkflowDocument } from '../../engine/document.js';
import { isUuid, uuidv7 } from './ids.js';
import { WorkflowModel } from './models/workflow-model.js';
import { WorkflowVersionModel } from './models/workflow-version-model.js';

export interface WorkflowRecord {
  id: string;
  workspaceId: string;
  name: string;
  draft: WorkflowDocument;
  draftUpdatedAt: Date;
  active: boolean;
  activeVersionId: string | null;
  publishedVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export type WorkflowSummary = Omit<WorkflowRecord, 'draft'>;

export interface VersionSummary {
  id: string;
  workflowId: string;
  workspaceId: string;
  number: number;
  note: string | null;
  createdAt: Date;
  createdBy: string | null;
}

export interface VersionRecord extends VersionSummary {
  document: WorkflowDocument;
}

export interface Scope {
  /** Only a row of this workspace is found: the API passes the workspace of the request. */
  workspaceId?: string;
  includeDeleted?: boolean;
}

export class WorkflowNotFoundError extends Error {
  constructor(readonly workflowId: string) {
    super(`Workflow ${workflowId} does not exist`);
    this.name = 'WorkflowNotFoundError';
  }
}

const SUMMARY_COLUMNS = [
  'id',
  'workspace_id',
  'name',
  'draft_updated_at',
  'active',
  'active_version_id',
  'published_version_id',
  'created_at',
  'updated_at',
  'deleted_at',
];
const VERSION_SUMMARY_COLUMNS = [
  'id',
  'workflow_id',
  'workspace_id',
  'number',
  'note',
  'created_at',
  'created_by',
];

function workflowRecord(model: WorkflowModel): WorkflowRecord {
  return { ...workflowSummary(model), draft: model.draft };
}

function workflowSummary(model: WorkflowModel): WorkflowSummary {
  return {
    id: model.id,
    workspaceId: model.workspaceId,
    name: model.name,
    draftUpdatedAt: model.draftUpdatedAt,
    active: model.active,
    activeVersionId: model.activeVersionId,
    publishedVersionId: model.publishedVersionId,
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
    deletedAt: model.deletedAt,
  };
}

function versionSummary(model: WorkflowVersionModel): VersionSummary {
  return {
    id: model.id,
    workflowId: model.workflowId,
    workspaceId: model.workspaceId,
    number: model.number,
    note: model.note,
    createdAt: model.createdAt,
    createdBy: model.createdBy,
  };
}

/**
 * Workflows, their drafts and their published versions (DESIGN §3: editing makes a draft,
 * publishing freezes a version). Documents are stored as given: callers validate them with
 * the engine's validator first.
 */
export class WorkflowRepository {
  constructor(private readonly knex: Knex) {}

  async createWorkflow(workspaceId: string, document: WorkflowDocument): Promise<WorkflowRecord> {
    const row = await WorkflowModel.query(this.knex).insertAndFetch({
      id: uuidv7(),
      workspaceId,
      name: document.name,
      draft: document,
    });
    return workflowRecord(row);
  }

  /** Replace the draft; the workflow takes the document's name. Undefined if there is no such workflow. */
  async saveDraft(
    workflowId: string,
    document: WorkflowDocument,
    scope: Scope = {},
  ): Promise<WorkflowRecord | undefined> {
    if (!isUuid(workflowId)) return undefined;
    const now = new Date();
    const [row] = await this.scoped(WorkflowModel.query(this.knex), { ...scope, includeDeleted: false })
      .where('id', workflowId)
      .patch({ draft: document, name: document.name, draftUpdatedAt: now, updatedAt: now })
      .returning('*');
    return row && workflowRecord(row);
  }

  async get(workflowId: string, scope: Scope = {}): Promise<WorkflowRecord | undefined> {
    if (!isUuid(workflowId)) return undefined;
    const row = await this.scoped(WorkflowModel.query(this.knex), scope).findById(workflowId);
    return row && workflowRecord(row);
  }

  /** Newest first, without drafts (they can be large). */
  async list(
    workspaceId: string,
    options: { includeDeleted?: boolean; limit?: number; offset?: number } = {},
  ): Promise<WorkflowSummary[]> {
    const rows = await this.scoped(WorkflowModel.query(this.knex), {
      workspaceId,
      includeDeleted: options.includeDeleted,
    })
      .select(SUMMARY_COLUMNS)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0);
    return rows.map(workflowSummary);
  }

  /** Mark deleted and deactivate; versions and runs stay for the record. False if not found. */
  async softDelete(workflowId: string, scope: Scope = {}): Promise<boolean> {
    if (!isUuid(workflowId)) return false;
    const now = new Date();
    const count = await this.scoped(WorkflowModel.query(this.knex), { ...scope, includeDeleted: false })
      .where('id', workflowId)
      .patch({ deletedAt: now, active: false, updatedAt: now });
    return count > 0;
  }

  /**
   * Freeze the current draft as the next version (1, 2, 3, ...) and make it the published one.
   * The active version is left alone: `activate` chooses what triggers run.
   */
  async publish(
    workflowId: string,
    note?: string,
    options: Scope & { createdBy?: string } = {},
  ): Promise<VersionRecord> {
    if (!isUuid(workflowId)) throw new WorkflowNotFoundError(workflowId);
    return this.knex.transaction(async (trx) => {
      // The row lock serialises publishers of one workflow, so numbers never collide.
      const workflow = await this.scoped(WorkflowModel.query(trx), { ...options, includeDeleted: false })
        .findById(workflowId)
        .forUpdate();
      if (!workflow) throw new WorkflowNotFoundError(workflowId);
      const last = await WorkflowVersionModel.query(trx)
        .where('workflow_id', workflowId)
        .max('number as max')
        .first();
      const number = ((last as unknown as { max: number | null } | undefined)?.max ?? 0) + 1;
      const version = await WorkflowVersionModel.query(trx).insertAndFetch({
        id: uuidv7(),
        workflowId,
        workspaceId: workflow.workspaceId,
        number,
        document: workflow.draft,
        note: note ?? null,
        createdBy: options.createdBy ?? null,
      });
      await WorkflowModel.query(trx)
        .findById(workflowId)
        .patch({ publishedVersionId: version.id, updatedAt: new Date() });
      return { ...versionSummary(version), document: version.document };
    });
  }

  /** Newest first, without documents. */
  async listVersions(workflowId: string, scope: Pick<Scope, 'workspaceId'> = {}): Promise<VersionSummary[]> {
    if (!isUuid(workflowId)) return [];
    const query = WorkflowVersionModel.query(this.knex)
      .select(VERSION_SUMMARY_COLUMNS)
      .where('workflow_id', workflowId);
    if (scope.workspaceId !== undefined) query.where('workspace_id', scope.workspaceId);
    const rows = await query.orderBy('number', 'desc');
    return rows.map(versionSummary);
  }

  async getVersion(
    versionId: string,
    scope: Pick<Scope, 'workspaceId'> = {},
  ): Promise<VersionRecord | undefined> {
    if (!isUuid(versionId)) return undefined;
    const query = WorkflowVersionModel.query(this.knex).findById(versionId);
    if (scope.workspaceId !== undefined) query.where('workspace_id', scope.workspaceId);
    const row = await query;
    return row && { ...versionSummary(row), document: row.document };
  }

  /**
   * Let triggers start runs of this workflow, with the given version or else the published one.
   * Throws when there is nothing to activate.
   */
  async activate(
    workflowId: string,
    versionId?: string,
    scope: Pick<Scope, 'workspaceId'> = {},
  ): Promise<WorkflowRecord> {
    const workflow = await this.get(workflowId, scope);
    if (!workflow) throw new WorkflowNotFoundError(workflowId);
    const target = versionId ?? workflow.publishedVersionId;
    if (target === null) throw new Error(`Workflow ${workflowId} has no published version to activate`);
    const version = await this.getVersion(target);
    if (!version || version.workflowId !== workflowId) {
      throw new Error(`Version ${target} is not a version of workflow ${workflowId}`);
    }
    return this.setActive(workflowId, { active: true, activeVersionId: target });
  }

  /** Stop triggers from starting runs; runs in progress carry on. */
  async deactivate(workflowId: string, scope: Pick<Scope, 'workspaceId'> = {}): Promise<WorkflowRecord> {
    const workflow = await this.get(workflowId, scope);
    if (!workflow) throw new WorkflowNotFoundError(workflowId);
    return this.setActive(workflowId, { active: false });
  }

  private async setActive(
    workflowId: string,
    patch: { active: boolean; activeVersionId?: string },
  ): Promise<WorkflowRecord> {
    const [row] = await WorkflowModel.query(this.knex)
      .where('id', workflowId)
      .whereNull('deleted_at')
      .patch({ ...patch, updatedAt: new Date() })
      .returning('*');
    if (!row) throw new WorkflowNotFoundError(workflowId);
    return workflowRecord(row);
  }

  private scoped<Q extends ReturnType<typeof WorkflowModel.query>>(query: Q, scope: Scope): Q {
    if (scope.workspaceId !== undefined) query.where('workspace_id', scope.workspaceId);
    if (!scope.includeDeleted) query.whereNull('deleted_at');
    return query;
  }
}
