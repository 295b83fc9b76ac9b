import type { Json } from '../../engine/json.js';

/** Approvals as `flow.approval` sees them; `api/approvals/store.ts` implements the service. */

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'timed_out' | 'cancelled';

export interface ApprovalRecord {
  id: string;
  workspaceId: string;
  runId: string;
  workflowId: string;
  nodeId: string;
  title: string;
  description: string;
  /** Emails of the people who may decide; empty: any member (not viewers). */
  approvers: string[];
  data: Json;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedByEmail: string | null;
  decidedAt: string | null;
  comment: string | null;
  expiresAt: string | null;
  remindersSent: number;
  createdAt: string;
}

export interface NewApproval {
  workspaceId: string;
  runId: string;
  workflowId: string;
  nodeId: string;
  title: string;
  description: string;
  approvers: string[];
  data: Json;
  expiresAt: Date | null;
}

export interface ApprovalsService {
  /** Create the step's approval, once per (run, node): a resumed step gets the same one back. */
  open(approval: NewApproval): Promise<ApprovalRecord>;
  get(workspaceId: string, approvalId: string): Promise<ApprovalRecord | undefined>;
  /** Pending → timed_out (only if still pending); returns the approval as it now is. */
  expire(workspaceId: string, approvalId: string): Promise<ApprovalRecord>;
  /** Count a reminder sent; returns how many were sent. */
  reminded(workspaceId: string, approvalId: string): Promise<number>;
}

declare module '../../engine/node.js' {
  interface NodeServices {
    approvals?: ApprovalsService;
  }
}
