import type { Knex } from 'knex';
import type { Json } from '../../engine/json.js';
import type {
  ApprovalRecord,
  ApprovalsService,
  ApprovalStatus,
  NewApproval,
} from '../../nodes/flow/approval-service.js';
import { isUuid } from '../db/ids.js';

interface ApprovalRow {
  id: string;
  workspace_id: string;
  run_id: string;
  workflow_id: string;
  node_id: string;
  title: string;
  description: string;
  approvers: string[];
  data: Json;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_by_email: string | null;
  decided_by_api_key: string | null;
  decided_at: Date | null;
  comment: string | null;
  expires_at: Date | null;
  reminders_sent: number;
  created_at: Date;
  run_status?: string;
}

export interface ApprovalView extends ApprovalRecord {
  decidedByApiKey: string | null;
  /** The status of the run that asks (a decision needs it waiting or running). */
  runStatus: string | null;
}

export function presentApproval(row: ApprovalRow): ApprovalView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    runId: row.run_id,
    workflowId: row.workflow_id,
    nodeId: row.node_id,
    title: row.title,
    description: row.description,
    approvers: row.approvers,
    data: row.data ?? null,
    status: row.status,
    decidedBy: row.decided_by,
    decidedByEmail: row.decided_by_email,
    decidedByApiKey: row.decided_by_api_key,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    comment: row.comment,
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    remindersSent: row.reminders_sent,
    createdAt: row.created_at.toISOString(),
    runStatus: row.run_status ?? null,
  };
}

const SELECT = `SELECT a.*, r.status AS run_status FROM approvals AS a LEFT JOIN runs AS r ON r.id = a.run_id`;

export type DecideResult =
  | { ok: true; approval: ApprovalView }
  | { ok: false; reason: 'not_found' | 'decided' | 'run_over'; approval?: ApprovalView };

/** Approvals: created by `flow.approval` steps, decided by people through the API. */
export class ApprovalStore implements ApprovalsService {
  constructor(private readonly knex: Knex) {}

  async open(approval: NewApproval): Promise<ApprovalRecord> {
    await this.knex.raw(
      `INSERT INTO approvals (workspace_id, run_id, workflow_id, node_id, title, description, approvers, data, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?::text[], ?::jsonb, ?)
       ON CONFLICT (run_id, node_id) DO NOTHING`,
      [
        approval.workspaceId,
        approval.runId,
        approval.workflowId,
        approval.nodeId,
        approval.title,
        approval.description,
        approval.approvers,
        JSON.stringify(approval.data),
        approval.expiresAt,
      ],
    );
    const { rows } = await this.knex.raw<{ rows: ApprovalRow[] }>(
      `${SELECT} WHERE a.run_id = ? AND a.node_id = ?`,
      [approval.runId, approval.nodeId],
    );
    return presentApproval(rows[0]!);
  }

  async get(workspaceId: string, approvalId: string): Promise<ApprovalView | undefined> {
    if (!isUuid(approvalId)) return undefined;
    const { rows } = await this.knex.raw<{ rows: ApprovalRow[] }>(
      `${SELECT} WHERE a.id = ? AND a.workspace_id = ?`,
      [approvalId, workspaceId],
    );
    return rows[0] && presentApproval(rows[0]);
  }

  async expire(workspaceId: string, approvalId: string): Promise<ApprovalRecord> {
    await this.knex.raw(
      "UPDATE approvals SET status = 'timed_out', decided_at = now() WHERE id = ? AND workspace_id = ? AND status = 'pending'",
      [approvalId, workspaceId],
    );
    const approval = await this.get(workspaceId, approvalId);
    if (!approval) throw new Error(`Approval ${approvalId} does not exist`);
    return approval;
  }

  async reminded(workspaceId: string, approvalId: string): Promise<number> {
    const { rows } = await this.knex.raw<{ rows: Array<{ reminders_sent: number }> }>(
      'UPDATE approvals SET reminders_sent = reminders_sent + 1 WHERE id = ? AND workspace_id = ? RETURNING reminders_sent',
      [approvalId, workspaceId],
    );
    return rows[0]?.reminders_sent ?? 0;
  }

  async list(
    workspaceId: string,
    options: { status?: ApprovalStatus; limit: number },
  ): Promise<ApprovalView[]> {
    // Pending means someone can still decide: the asking run is still alive.
    const pendingOnly = options.status === 'pending';
    const { rows } = await this.knex.raw<{ rows: ApprovalRow[] }>(
      `${SELECT} WHERE a.workspace_id = ? AND (?::text IS NULL OR a.status = ?)
       ${pendingOnly ? "AND r.status IN ('waiting', 'running', 'queued')" : ''}
       ORDER BY a.created_at DESC, a.id DESC LIMIT ?`,
      [workspaceId, options.status ?? null, options.status ?? null, options.limit],
    );
    return rows.map(presentApproval);
  }

  /**
   * Record a decision, once: pending → approved | rejected with a conditional UPDATE, so a
   * second decision (or one racing the timeout) changes nothing.
   */
  async decide(
    workspaceId: string,
    approvalId: string,
    decision: {
      status: 'approved' | 'rejected';
      userId: string | null;
      email: string | null;
      apiKeyId: string | null;
      comment: string | null;
    },
  ): Promise<DecideResult> {
    const current = await this.get(workspaceId, approvalId);
    if (!current) return { ok: false, reason: 'not_found' };
    if (current.status !== 'pending') return { ok: false, reason: 'decided', approval: current };
    if (!current.runStatus || !['waiting', 'running', 'queued'].includes(current.runStatus)) {
      return { ok: false, reason: 'run_over', approval: current };
    }
    const { rows } = await this.knex.raw<{ rows: Array<{ id: string }> }>(
      `UPDATE approvals SET status = ?, decided_by = ?, decided_by_email = ?, decided_by_api_key = ?,
         decided_at = now(), comment = ?
       WHERE id = ? AND workspace_id = ? AND status = 'pending' RETURNING id`,
      [
        decision.status,
        decision.userId,
        decision.email,
        decision.apiKeyId,
        decision.comment,
        approvalId,
        workspaceId,
      ],
    );
    const after = await this.get(workspaceId, approvalId);
    if (rows.length === 0 || !after) return { ok: false, reason: 'decided', approval: after };
    return { ok: true, approval: after };
  }

  /** The email of a user, to check against an approval's approvers. */
  async emailOf(userId: string): Promise<string | undefined> {
    const { rows } = await this.knex.raw<{ rows: Array<{ email: string }> }>(
      'SELECT email FROM users WHERE id = ?',
      [userId],
    );
    return rows[0]?.email;
  }
}
