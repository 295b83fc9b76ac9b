import type { RelationMappings } from 'objection';
import { BaseModel } from './base-model.js';
import { WorkflowModel } from './workflow-model.js';

export class WorkspaceModel extends BaseModel {
  static override tableName = 'workspaces';

  declare id: string;
  declare name: string;
  declare slug: string;
  declare plan: string;
  declare createdAt: Date;

  static override relationMappings = (): RelationMappings => ({
    workflows: {
      relation: BaseModel.HasManyRelation,
      modelClass: WorkflowModel,
      join: { from: 'workspaces.id', to: 'workflows.workspace_id' },
    },
  });
}
