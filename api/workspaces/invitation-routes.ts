import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { conflict, forbidden, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, roleAtLeast, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import {
  createInvitation,
  findInvitation,
  findPendingFor,
  invitationStatus,
  listInvitations,
  lockInvitation,
  markRevoked,
  renewInvitation,
  type InvitationWithInviter,
} from './invitations.js';
import { sendInvitationEmail } from './invitation-mail.js';
import { isMemberByEmail, lockWorkspace } from './repository.js';
import {
  invitationCreatedSchema,
  invitationSchema,
  invitationView,
  inviteBody,
  workspaceParams,
} from './schemas.js';
import { assertSeatAvailable, seatUsage } from '../billing/seats.js';

const invitationParams = workspaceParams.extend({ invitationId: z.uuid() });

const deliverySchema = z
  .object({
    status: z.enum(['sent', 'not_configured', 'failed']),
    detail: z.string().optional(),
  })
  .describe('Whether the invitation email went out (SMTP_URL); the link works either way');
const invitationSentSchema = invitationCreatedSchema.extend({ delivery: deliverySchema });

/**
 * Invitations of a workspace, for its admins. The token is random, stored hashed and shown
 * once, as the accept link in the create/resend response; with SMTP_URL set the invitee is
 * emailed the link too, and the answer says whether that worked (`delivery`).
 */
export function invitationRoutes({ knex, settings, logger }: ApiContext): AnyRoute[] {
  const base = '/api/v1/workspaces/:workspaceId/invitations';
  const acceptUrl = (token: string): string => `${settings.publicUrl}/invitations/${token}`;
  const email = async (workspaceId: string, row: InvitationWithInviter, link: string) => {
    const workspace = await knex('workspaces').where({ id: workspaceId }).first<{ name: string } | undefined>('name');
    return sendInvitationEmail(settings, logger, {
      id: row.id,
      email: row.email,
      role: row.role,
      workspaceName: workspace?.name ?? 'a workspace',
      inviter: row.inviter_name,
      acceptUrl: link,
      expiresAt: row.expires_at,
      sendCount: row.send_count,
    });
  };

  const create = defineRoute({
    method: 'post',
    path: base,
    summary: 'Invite someone by email with a role (admin or owner)',
    description:
      'The invitation expires after 7 days. Members plus pending invitations may not exceed the plan’s seats (402). Only owners invite owners.',
    tags: ['invitations'],
    auth: { workspaceRole: 'admin' },
    params: workspaceParams,
    body: inviteBody,
    responses: {
      201: {
        description: 'The invitation, its accept link (shown only here) and whether it was emailed',
        schema: invitationSentSchema,
      },
      ...problemResponses(400, 401, 402, 403, 404, 409),
    },
    async handler({ req, body, principal, workspace }) {
      const scope = workspaceScope(workspace);
      if (!roleAtLeast(scope.role, body.role)) {
        throw forbidden(
          `You cannot invite with a role above your own: you are ${scope.role}, the invitation asks for ${body.role}`,
        );
      }
      const source = auditSource(req, principal);
      const { id, token } = await knex.transaction(async (trx) => {
        const ws = await lockWorkspace(trx, scope.id);
        if (await isMemberByEmail(trx, ws.id, body.email)) {
          throw conflict(`${body.email} is already a member of this workspace`, { reason: 'already_member' });
        }
        const pending = await findPendingFor(trx, ws.id, body.email);
        if (pending) {
          throw conflict(`${body.email} already has a pending invitation; resend it instead`, {
            reason: 'already_invited',
            invitationId: pending.id,
          });
        }
        assertSeatAvailable(await seatUsage(trx, ws), 'invitation');
        const { row, token } = await createInvitation(trx, {
          workspaceId: ws.id,
          email: body.email,
          role: body.role,
          invitedBy: source.actor,
        });
        await audit(trx, {
          workspaceId: ws.id,
          ...source,
          action: 'invitation.create',
          target: { type: 'invitation', id: row.id },
          metadata: { email: body.email, role: body.role },
        });
        return { id: row.id, token };
      });
      const row = await findInvitation(knex, scope.id, id);
      if (!row) throw notFound('The invitation');
      const link = acceptUrl(token);
      const delivery = await email(scope.id, row, link);
      return { status: 201, body: { ...invitationView(row), acceptUrl: link, delivery } };
    },
  });

  const list = defineRoute({
    method: 'get',
    path: base,
    summary: 'The invitations of the workspace, with their status (admin or owner)',
    tags: ['invitations'],
    auth: { workspaceRole: 'admin' },
    params: workspaceParams,
    query: z.object({ status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional() }),
    responses: {
      200: {
        description: 'Newest first; `mailConfigured` says whether invitations are emailed (SMTP_URL)',
        schema: z.object({ items: z.array(invitationSchema), mailConfigured: z.boolean() }),
      },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ query, workspace }) {
      const rows = await listInvitations(knex, workspaceScope(workspace).id);
      const items = rows.map(invitationView).filter((item) => !query.status || item.status === query.status);
      return { status: 200, body: { items, mailConfigured: settings.accountMail !== undefined } };
    },
  });

  const resend = defineRoute({
    method: 'post',
    path: `${base}/:invitationId/resend`,
    summary: 'Renew an invitation: a new link and a new 7-day expiry; the old link stops working',
    tags: ['invitations'],
    auth: { workspaceRole: 'admin' },
    params: invitationParams,
    responses: {
      200: {
        description: 'The renewed invitation, its new accept link and whether it was emailed',
        schema: invitationSentSchema,
      },
      ...problemResponses(400, 401, 402, 403, 404, 409),
    },
    async handler({ req, params, principal, workspace }) {
      const scope = workspaceScope(workspace);
      const token = await knex.transaction(async (trx) => {
        const ws = await lockWorkspace(trx, scope.id);
        const found = await findInvitation(trx, ws.id, params.invitationId);
        if (!found) throw notFound('The invitation');
        const current = await lockInvitation(trx, found.id);
        const status = invitationStatus(current);
        if (status === 'accepted' || status === 'revoked') {
          throw conflict(`The invitation was ${status}; create a new one instead`, { reason: status });
        }
        if (!roleAtLeast(scope.role, current.role))
          throw forbidden('Only owners can resend an owner invitation');
        // An expired invitation held no seat; renewing it takes one again.
        if (status === 'expired')
          assertSeatAvailable(await seatUsage(trx, ws, { excludeInvitationId: current.id }), 'invitation');
        const { token } = await renewInvitation(trx, current.id);
        await audit(trx, {
          workspaceId: ws.id,
          ...auditSource(req, principal),
          action: 'invitation.resend',
          target: { type: 'invitation', id: current.id },
          metadata: { email: current.email, role: current.role, wasExpired: status === 'expired' },
        });
        return token;
      });
      const row = await findInvitation(knex, scope.id, params.invitationId);
      if (!row) throw notFound('The invitation');
      const link = acceptUrl(token);
      const delivery = await email(scope.id, row, link);
      return { status: 200, body: { ...invitationView(row), acceptUrl: link, delivery } };
    },
  });

  const revoke = defineRoute({
    method: 'delete',
    path: `${base}/:invitationId`,
    summary: 'Revoke an invitation; its link stops working',
    tags: ['invitations'],
    auth: { workspaceRole: 'admin' },
    params: invitationParams,
    responses: {
      204: { description: 'Revoked (also when it already was)' },
      ...problemResponses(400, 401, 403, 404, 409),
    },
    async handler({ req, params, principal, workspace }) {
      const scope = workspaceScope(workspace);
      await knex.transaction(async (trx) => {
        const found = await findInvitation(trx, scope.id, params.invitationId);
        if (!found) throw notFound('The invitation');
        const current = await lockInvitation(trx, found.id);
        if (current.accepted_at)
          throw conflict('The invitation was already accepted; remove the member instead', {
            reason: 'accepted',
          });
        if (current.revoked_at) return;
        await markRevoked(trx, current.id);
        await audit(trx, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'invitation.revoke',
          target: { type: 'invitation', id: current.id },
          metadata: { email: current.email, role: current.role },
        });
      });
      return { status: 204 };
    },
  });

  return [create, list, resend, revoke];
}
