import type { RelationMappings } from 'objection';
import type { Json } from '../../../engine/json.js';
import type { RunStatus, StepError } from '../../../engine/store.js';
import { BaseModel } from './base-model.js';
import { StepModel } from './step-model.js';
import { WorkflowVersionModel } from './workflow-version-model.js';

/** For reading runs in the API (lists, filters). The engine writes runs through PgRunStore. */
export class RunModel extends BaseModel {
  static override tableName = 'runs';
  static override jsonAttributes = ['input', 'error', 'output'];

  declare id: string;
  declare workspaceId: string;
  declare workflowId: string;
  declare versionId: string;
  declare status: RunStatus;
  declare triggerNodeId: string;
  declare input: Json;
  declare error: StepError | null;
  declare output: Json;
  declare createdAt: Date;
  declare startedAt: Date | null;
  declare finishedAt: Date | null;
  declare deadlineAt: Date | null;
  declare wakeAt: Date | null;
  declare executorId: string | null;
  declare cancelRequested: boolean;
  declare retryOf: string | null;

  static override relationMappings = (): RelationMappings => ({
    steps: {
      relation: BaseModel.HasManyRelation,
      modelClass: StepModel,
      join: { from: 'runs.id', to: 'steps.run_id' },
    },
    version: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: WorkflowVersionModel,
      join: { from: 'runs.version_id', to: 'workflow_versions.id' },
    },
  });
}
