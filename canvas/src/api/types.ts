/** Shapes of the Revflow API as the canvas reads them (see api/ and GET /api/v1/openapi.json). */

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  slug: string;
  plan: string;
  role: Role;
  createdAt: string;
}

export interface Me {
  user: User;
  workspaces: WorkspaceSummary[];
  /** Listed in REVFLOW_ADMIN_EMAILS: authors release notes, sees NPS, feedback and all analytics. */
  instanceAdmin: boolean;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type OnError = 'fail' | 'continue' | 'route';

export interface RetryPolicy {
  maxAttempts?: number;
  backoff?: 'fixed' | 'exponential';
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface NodeSpec {
  id: string;
  type: string;
  name?: string;
  config: JsonObject;
  position?: { x: number; y: number };
  retry?: RetryPolicy;
  timeoutMs?: number;
  onError?: OnError;
  notes?: string;
}

export interface EdgeSpec {
  from: string;
  fromPort?: string;
  to: string;
  toPort?: string;
}

export interface WorkflowSettings {
  timeoutMs?: number;
  concurrency?: number;
  rateLimit?: { max: number; perMs: number };
  [key: string]: JsonValue | undefined;
}

export interface WorkflowDocument {
  schemaVersion: 1;
  name: string;
  description?: string;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
  settings?: WorkflowSettings;
}

export interface ValidationIssue {
  code: string;
  message: string;
  nodeId?: string;
  field?: string;
  edgeIndex?: number;
  path: Array<string | number>;
}

export type WorkflowStatus = 'draft' | 'published' | 'active';

export interface WorkflowSummary {
  id: string;
  workspaceId: string;
  name: string;
  status: WorkflowStatus;
  active: boolean;
  activeVersionId: string | null;
  publishedVersionId: string | null;
  createdAt: string;
  updatedAt: string;
  lastRun?: { id: string; status: RunStatus; createdAt: string } | null;
}

export interface Workflow extends WorkflowSummary {
  draft: WorkflowDocument;
  validation: { ok: boolean; issues: ValidationIssue[]; warnings?: ValidationIssue[] };
}

export interface VersionSummary {
  id: string;
  workflowId: string;
  number: number;
  note: string | null;
  createdAt: string;
  createdBy: string | null;
}

export interface Version extends VersionSummary {
  document: WorkflowDocument;
}

/** A JSON Schema as zod's toJSONSchema writes it; only what the form reads. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: JsonValue[];
  const?: JsonValue;
  default?: JsonValue;
  description?: string;
  title?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface NodeType {
  type: string;
  family: string;
  title: string;
  description: string;
  docs: string | null;
  icon: string | null;
  configSchema: JsonSchema;
  inputs: string[];
  outputs: string[];
  dynamicOutputs: boolean;
  sideEffects: boolean;
  rawFields: string[];
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'cancelled';

export interface StepError {
  message: string;
  code?: string;
  line?: number;
  field?: string;
}

export interface Run {
  id: string;
  workspaceId: string;
  workflowId: string;
  versionId: string;
  status: RunStatus;
  triggerNodeId: string;
  input: JsonValue;
  output: JsonValue;
  error: StepError | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  wakeAt: string | null;
  retryOf: string | null;
}

export interface Step {
  nodeId: string;
  status: StepStatus;
  attempts: number;
  input: JsonValue;
  output: JsonValue;
  ports: string[];
  error: StepError | null;
  logs: JsonValue[];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface RunWithSteps extends Run {
  version: number | null;
  steps: Step[];
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  invitedBy: string | null;
  createdAt: string;
  expiresAt: string;
  sentAt: string;
  sendCount: number;
  acceptUrl?: string;
  /** Create and resend: whether the invitation email went out (SMTP_URL). */
  delivery?: { status: 'sent' | 'not_configured' | 'failed'; detail?: string };
}

export interface InvitationPreview {
  workspace: { name: string };
  inviter: string | null;
  email: string;
  role: Role;
  status: Invitation['status'];
  expiresAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  role: 'viewer' | 'member' | 'admin';
  prefix: string;
  createdByUserId: string | null;
  createdAt: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  key?: string;
}

export interface AuditEntry {
  id: string;
  action: string;
  actor: {
    type: 'user' | 'apiKey' | 'unknown';
    id: string | null;
    name: string | null;
    email: string | null;
  };
  target: { type: string; id: string } | null;
  metadata: Record<string, JsonValue>;
  ip: string | null;
  at: string;
}

export interface List<T> {
  items: T[];
  nextCursor?: string | null;
}
