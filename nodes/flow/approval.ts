import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode, type NodeContext } from '../../engine/node.js';
import { credentialRef, required } from '../services.js';
import type { ApprovalRecord } from './approval-service.js';
import './approval-service.js';

/** Signal kind of approval decisions; the key is the approval id (api/approvals signals it). */
export const APPROVAL_SIGNAL = 'approval';

const MAX_WAIT_MS = 366 * 86_400_000;

const approvalConfig = z
  .object({
    title: z.string().min(1).max(300).describe('What is asked, shown in the Approvals list'),
    description: z.string().max(10_000).default('').describe('Details for the approvers'),
    approvers: z
      .array(z.email())
      .max(50)
      .default([])
      .describe('Emails of the people who may decide; empty: any member of the workspace'),
    data: z.unknown().optional().describe('Data shown with the request (default: the input)'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(MAX_WAIT_MS)
      .optional()
      .describe('Without a decision after this many milliseconds the input goes out on `timeout`'),
    remindEveryMs: z
      .number()
      .int()
      .min(1_000)
      .max(MAX_WAIT_MS)
      .optional()
      .describe('Email the approvers a reminder at this interval while the approval is pending'),
    maxReminders: z.number().int().min(1).max(100).default(3).describe('At most this many reminders'),
    reminderFrom: z.email().optional().describe('Sender of reminders (default: the SMTP credential’s)'),
    reminderCredentialId: credentialRef(
      ['smtp'],
      'SMTP credential for reminders (default: SMTP_URL)',
    ).optional(),
  })
  .refine((config) => config.remindEveryMs === undefined || config.approvers.length > 0, {
    message: 'reminders are emailed to the approvers: list at least one',
    path: ['remindEveryMs'],
  });

type ApprovalConfig = z.infer<typeof approvalConfig>;

interface ApprovalWaitState {
  approvalId: string;
}

function decided(approval: ApprovalRecord, input: Json): { port: string; value: Json } | undefined {
  const value: Json = {
    approvalId: approval.id,
    status: approval.status,
    decidedBy: approval.decidedByEmail,
    decidedAt: approval.decidedAt,
    comment: approval.comment,
    input,
  };
  if (approval.status === 'approved') return { port: 'approved', value };
  if (approval.status === 'rejected') return { port: 'rejected', value };
  if (approval.status === 'timed_out') return { port: 'timeout', value };
  if (approval.status === 'cancelled') throw new Error(`Approval ${approval.id} was cancelled`);
  return undefined;
}

/** Suspend until a decision, the next reminder or the timeout, whichever comes first. */
function waitFor(ctx: NodeContext<ApprovalConfig>, approval: ApprovalRecord) {
  const times: number[] = [];
  if (approval.expiresAt) times.push(Date.parse(approval.expiresAt));
  const { remindEveryMs, maxReminders } = ctx.config;
  if (remindEveryMs !== undefined && approval.remindersSent < maxReminders) {
    times.push(Date.parse(approval.createdAt) + remindEveryMs * (approval.remindersSent + 1));
  }
  const state: ApprovalWaitState = { approvalId: approval.id };
  return ctx.wait({
    signal: { kind: APPROVAL_SIGNAL, key: approval.id },
    ...(times.length > 0 && { until: new Date(Math.min(...times)) }),
    state: state as unknown as Json,
  });
}

export const approvalNode = defineNode({
  type: 'flow.approval',
  family: 'flow',
  title: 'Approval',
  description: 'Asks people to approve or reject, and waits: `approved`, `rejected` or `timeout`.',
  docs: [
    'The run suspends (holding no worker) until someone decides on the Approvals page or through the API ' +
      '(POST /api/v1/workspaces/<workspace>/approvals/<id>/approve or /reject, with an optional comment). ' +
      'Members, admins and owners may decide — or, when `approvers` lists emails, only those people; viewers never.',
    'Each port emits { approvalId, status, decidedBy, decidedAt, comment, input }.',
    'With `timeoutMs`, an approval nobody decided in time goes out on `timeout`. With `remindEveryMs`, the ' +
      'approvers get a reminder email at that interval (at most `maxReminders`), over the SMTP credential or ' +
      "the deployment's SMTP_URL.",
  ].join('\n\n'),
  icon: 'check-circle',
  config: approvalConfig,
  outputs: ['approved', 'rejected', 'timeout'],
  sideEffects: true,
  run: async (ctx, input) => {
    const approvals = required(ctx.services.approvals, 'approvals');
    const workspaceId = ctx.run.workspaceId;
    if (!ctx.resume) {
      const approval = await approvals.open({
        workspaceId,
        runId: ctx.run.id,
        workflowId: ctx.run.workflowId,
        nodeId: ctx.node.id,
        title: ctx.config.title,
        description: ctx.config.description,
        approvers: ctx.config.approvers.map((email) => email.toLowerCase()),
        data: ctx.config.data === undefined ? input : (ctx.config.data as Json),
        expiresAt: ctx.config.timeoutMs === undefined ? null : new Date(Date.now() + ctx.config.timeoutMs),
      });
      const outcome = decided(approval, input);
      return outcome ? ctx.route(outcome.port, outcome.value) : waitFor(ctx, approval);
    }
    const { approvalId } = ctx.resume.state as unknown as ApprovalWaitState;
    let approval = await approvals.get(workspaceId, approvalId);
    if (!approval) throw new Error(`Approval ${approvalId} no longer exists`);
    // The approvals table has the last word: a decision, whatever woke the step.
    let outcome = decided(approval, input);
    if (outcome) return ctx.route(outcome.port, outcome.value);
    if (approval.expiresAt && Date.parse(approval.expiresAt) <= Date.now()) {
      approval = await approvals.expire(workspaceId, approvalId);
      outcome = decided(approval, input);
      if (outcome) return ctx.route(outcome.port, outcome.value);
    }
    const { remindEveryMs, maxReminders } = ctx.config;
    const due = remindEveryMs !== undefined && approval.remindersSent < maxReminders;
    if (due && Date.parse(approval.createdAt) + remindEveryMs * (approval.remindersSent + 1) <= Date.now()) {
      const number = approval.remindersSent + 1;
      try {
        // A stable Message-ID per reminder: a re-send after a crash can be deduplicated.
        await required(ctx.services.mail, 'mail').send(workspaceId, ctx.config.reminderCredentialId, {
          ...(ctx.config.reminderFrom ? { from: ctx.config.reminderFrom } : {}),
          to: approval.approvers,
          cc: [],
          bcc: [],
          subject: `Reminder: approval needed: ${approval.title}`,
          text: `${approval.description}\n\nApproval ${approval.id} is waiting for your decision in Revflow.`,
          messageId: `<${ctx.idempotencyKey.replace(/[^A-Za-z0-9-]/g, '.')}.reminder-${number}@revflow>`,
          headers: {},
        });
        ctx.log.info(`Reminder ${number} sent to ${approval.approvers.join(', ')}`);
      } catch (error) {
        // A reminder that cannot be sent must not decide the approval: log it and keep waiting.
        ctx.log.warn(
          `Reminder ${number} could not be sent: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      approval = { ...approval, remindersSent: await approvals.reminded(workspaceId, approvalId) };
    }
    return waitFor(ctx, approval);
  },
});
