export { BaseModel } from './base-model.js';
export { RunModel } from './run-model.js';
export { StepModel } from './step-model.js';
export { WorkflowModel } from './workflow-model.js';
export { WorkflowVersionModel } from './workflow-version-model.js';
export { WorkspaceModel } from './workspace-model.js';
