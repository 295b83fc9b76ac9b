import type { Json } from '../../../engine/json.js';
import type { StepError, StepStatus } from '../../../engine/store.js';
import { BaseModel } from './base-model.js';

/** For reading steps in the API. The engine writes steps through PgRunStore. */
export class StepModel extends BaseModel {
  static override tableName = 'steps';
  static override idColumn = ['run_id', 'node_id'];
  static override jsonAttributes = ['input', 'output', 'error', 'logs', 'wait'];

  declare runId: string;
  declare nodeId: string;
  declare status: StepStatus;
  declare attempts: number;
  declare input: Json;
  declare output: Json;
  declare ports: string[];
  declare error: StepError | null;
  declare logs: Json[];
  declare startedAt: Date | null;
  declare finishedAt: Date | null;
  declare wait: Json;
  declare interruptions: number;
}
