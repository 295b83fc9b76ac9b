import { z } from 'zod';
import { APPROVAL_SIGNAL } from '../../nodes/flow/approval.js';
import { audit } from '../audit/audit.js';
import { actorOf } from '../auth/principal.js';
import type { ApiContext } from '../http/context.js';
import { clientInfo } from '../http/client-info.js';
import { conflict, forbidden, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { ApprovalStore } from './store.js';

const statuses = ['pending', 'approved', 'rejected', 'timed_out', 'cancelled'] as const;

const approvalSchema = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    runId: z.uuid(),
    workflowId: z.uuid(),
    nodeId: z.string(),
    title: z.string(),
    description: z.string(),
    approvers: z.array(z.string()).describe('Emails of who may decide; empty: any member'),
    data: z.unknown(),
    status: z.enum(statuses),
    decidedBy: z.uuid().nullable().describe('The user who decided'),
    decidedByEmail: z.string().nullable(),
    decidedByApiKey: z.uuid().nullable().describe('The API key that decided'),
    decidedAt: z.string().nullable(),
    comment: z.string().nullable(),
    expiresAt: z.string().nullable(),
    remindersSent: z.number().int(),
    createdAt: z.string(),
    runStatus: z.string().nullable(),
  })
  .meta({ id: 'Approval' });

const params = z.object({ workspaceId: z.uuid(), approvalId: z.uuid() });
const decisionBody = z.object({
  comment: z.string().max(5_000).optional().describe('Why; recorded with the decision'),
});

/** Approvals asked by `flow.approval` steps: list, read, approve, reject. */
export function approvalRoutes({ knex, bundle }: ApiContext): AnyRoute[] {
  const store = new ApprovalStore(knex);

  const decide = (status: 'approved' | 'rejected') =>
    defineRoute({
      method: 'post',
      path: `/api/v1/workspaces/:workspaceId/approvals/:approvalId/${status === 'approved' ? 'approve' : 'reject'}`,
      summary: status === 'approved' ? 'Approve' : 'Reject',
      description:
        'Records the decision with who and when, once: an approval that was already decided (or timed out) ' +
        "answers 409 and changes nothing. The waiting run resumes on the step's `" +
        `${status}\` port. Members and up may decide — or, when the approval lists approvers, only those ` +
        'people (API keys then cannot); viewers never.',
      tags: ['approvals'],
      auth: { workspaceRole: 'member' },
      params,
      body: decisionBody,
      responses: {
        200: { description: 'Decided; the run resumes', schema: approvalSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      handler: async ({ req, workspace, params: { approvalId }, body, principal }) => {
        const workspaceId = workspaceScope(workspace).id;
        const approval = await store.get(workspaceId, approvalId);
        if (!approval) throw notFound('The approval');
        const email = principal?.userId ? ((await store.emailOf(principal.userId)) ?? null) : null;
        if (approval.approvers.length > 0 && (!email || !approval.approvers.includes(email.toLowerCase()))) {
          throw forbidden('Only the approvers this approval names may decide on it');
        }
        const result = await store.decide(workspaceId, approvalId, {
          status,
          userId: principal?.userId ?? null,
          email,
          apiKeyId: principal?.apiKey?.id ?? null,
          comment: body.comment ?? null,
        });
        if (!result.ok) {
          if (result.reason === 'not_found') throw notFound('The approval');
          if (result.reason === 'run_over') {
            throw conflict('The run that asked for this approval is no longer waiting', {
              runStatus: result.approval?.runStatus ?? null,
            });
          }
          throw conflict(`The approval was already decided: ${result.approval?.status ?? 'unknown'}`, {
            approvalStatus: result.approval?.status ?? null,
          });
        }
        const { ip, userAgent } = clientInfo(req);
        await audit(knex, {
          workspaceId,
          actor: actorOf(principal),
          action: `approval.${status === 'approved' ? 'approve' : 'reject'}`,
          target: { type: 'approval', id: approvalId },
          metadata: { runId: approval.runId, nodeId: approval.nodeId },
          ip,
          userAgent,
        });
        // The decision is committed: wake the step (the approvals table has the last word).
        await bundle.runtime.signal(workspaceId, APPROVAL_SIGNAL, approvalId, { approvalId, status });
        return { status: 200, body: result.approval };
      },
    });

  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/approvals',
      summary: 'List approvals, newest first',
      description: 'Default: the pending ones whose run still waits for a decision.',
      tags: ['approvals'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({
        status: z.enum([...statuses, 'all']).default('pending'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: {
        200: { description: 'Approvals', schema: z.object({ items: z.array(approvalSchema) }) },
        ...problemResponses(400, 401, 404),
      },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: {
          items: await store.list(workspaceScope(workspace).id, {
            status: query.status === 'all' ? undefined : query.status,
            limit: query.limit,
          }),
        },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/approvals/:approvalId',
      summary: 'Get an approval',
      tags: ['approvals'],
      auth: { workspaceRole: 'viewer' },
      params,
      responses: {
        200: { description: 'The approval', schema: approvalSchema },
        ...problemResponses(400, 401, 404),
      },
      handler: async ({ workspace, params: { approvalId } }) => {
        const approval = await store.get(workspaceScope(workspace).id, approvalId);
        if (!approval) throw notFound('The approval');
        return { status: 200, body: approval };
      },
    }),
    decide('approved'),
    decide('rejected'),
  ];
}
