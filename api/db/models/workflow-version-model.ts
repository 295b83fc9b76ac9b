import type { RelationMappings } from 'objection';
import type { WorkflowDocument } from '../../../engine/document.js';
import { BaseModel } from './base-model.js';
import { WorkflowModel } from './workflow-model.js';

/** Immutable once inserted: the database refuses changes to the document (only `note` may change). */
export class WorkflowVersionModel extends BaseModel {
  static override tableName = 'workflow_versions';
  static override jsonAttributes = ['document'];

  declare id: string;
  declare workflowId: string;
  declare workspaceId: string;
  declare number: number;
  declare document: WorkflowDocument;
  declare note: string | null;
  declare createdAt: Date;
  declare createdBy: string | null;

  static override relationMappings = (): RelationMappings => ({
    workflow: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: WorkflowModel,
      join: { from: 'workflow_versions.workflow_id', to: 'workflows.id' },
    },
  });
}
