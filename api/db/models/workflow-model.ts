import type { RelationMappings } from 'objection';
import type { WorkflowDocument } from '../../../engine/document.js';
import { BaseModel } from './base-model.js';
import { WorkflowVersionModel } from './workflow-version-model.js';

export class WorkflowModel extends BaseModel {
  static override tableName = 'workflows';
  static override jsonAttributes = ['draft'];

  declare id: string;
  declare workspaceId: string;
  declare name: string;
  declare draft: WorkflowDocument;
  declare draftUpdatedAt: Date;
  declare active: boolean;
  declare activeVersionId: string | null;
  declare publishedVersionId: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare deletedAt: Date | null;

  static override relationMappings = (): RelationMappings => ({
    versions: {
      relation: BaseModel.HasManyRelation,
      modelClass: WorkflowVersionModel,
      join: { from: 'workflows.id', to: 'workflow_versions.workflow_id' },
    },
  });
}
