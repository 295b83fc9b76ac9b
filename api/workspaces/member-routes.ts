import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { conflict, forbidden, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, roleAtLeast, type AnyRoute, type Role } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import {
  countOwners,
  findMember,
  listMembers,
  lockWorkspace,
  removeMember,
  setMemberRole,
} from './repository.js';
import { memberSchema, memberView, roleSchema, workspaceParams } from './schemas.js';

const memberParams = workspaceParams.extend({ userId: z.uuid() });

const LAST_OWNER = 'A workspace needs at least one owner: make another member owner first';

/** The owner rules both role changes and removals follow. */
function assertMayTouchOwner(callerRole: Role, targetRole: Role, newRole?: Role): void {
  if ((targetRole === 'owner' || newRole === 'owner') && callerRole !== 'owner') {
    throw forbidden('Only owners can make someone an owner, or change or remove an owner');
  }
}

/** Members of a workspace: list, change a role, remove (or leave). */
export function memberRoutes({ knex }: ApiContext): AnyRoute[] {
  const base = '/api/v1/workspaces/:workspaceId/members';

  const list = defineRoute({
    method: 'get',
    path: base,
    summary: 'The members of the workspace with their roles',
    tags: ['members'],
    auth: { workspaceRole: 'viewer' },
    params: workspaceParams,
    responses: {
      200: { description: 'Members, earliest first', schema: z.object({ items: z.array(memberSchema) }) },
      ...problemResponses(401, 404),
    },
    async handler({ workspace }) {
      const rows = await listMembers(knex, workspaceScope(workspace).id);
      return { status: 200, body: { items: rows.map(memberView) } };
    },
  });

  const changeRole = defineRoute({
    method: 'patch',
    path: `${base}/:userId`,
    summary: "Change a member's role (admin or owner; owners only for owner roles)",
    description: 'The last owner cannot be demoted (409).',
    tags: ['members'],
    auth: { workspaceRole: 'admin' },
    params: memberParams,
    body: z.object({ role: roleSchema }),
    responses: {
      200: { description: 'The member', schema: memberSchema },
      ...problemResponses(400, 401, 403, 404, 409),
    },
    async handler({ req, params, body, principal, workspace }) {
      const scope = workspaceScope(workspace);
      const member = await knex.transaction(async (trx) => {
        await lockWorkspace(trx, scope.id);
        const target = await findMember(trx, scope.id, params.userId);
        if (!target) throw notFound('The member');
        if (target.role === body.role) return target;
        assertMayTouchOwner(scope.role, target.role, body.role);
        if (target.role === 'owner' && (await countOwners(trx, scope.id)) <= 1) {
          throw conflict(LAST_OWNER, { reason: 'last_owner' });
        }
        await setMemberRole(trx, scope.id, params.userId, body.role);
        await audit(trx, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'member.role_change',
          target: { type: 'user', id: params.userId },
          metadata: { email: target.email, from: target.role, to: body.role },
        });
        return { ...target, role: body.role };
      });
      return { status: 200, body: memberView(member) };
    },
  });

  const remove = defineRoute({
    method: 'delete',
    path: `${base}/:userId`,
    summary: 'Remove a member (admin or owner), or leave the workspace (your own user id)',
    description: 'Only owners remove owners. The last owner cannot leave (409).',
    tags: ['members'],
    auth: { workspaceRole: 'viewer' },
    params: memberParams,
    responses: { 204: { description: 'Removed' }, ...problemResponses(400, 401, 403, 404, 409) },
    async handler({ req, params, principal, workspace }) {
      const scope = workspaceScope(workspace);
      const leaving = principal?.userId === params.userId;
      if (!leaving && !roleAtLeast(scope.role, 'admin')) {
        throw forbidden(`Removing another member needs the admin role or higher; you are ${scope.role}`);
      }
      await knex.transaction(async (trx) => {
        await lockWorkspace(trx, scope.id);
        const target = await findMember(trx, scope.id, params.userId);
        if (!target) throw notFound('The member');
        if (!leaving) assertMayTouchOwner(scope.role, target.role);
        if (target.role === 'owner' && (await countOwners(trx, scope.id)) <= 1) {
          throw conflict(leaving ? `You are the last owner and cannot leave. ${LAST_OWNER}` : LAST_OWNER, {
            reason: 'last_owner',
          });
        }
        await removeMember(trx, scope.id, params.userId);
        await audit(trx, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: leaving ? 'member.leave' : 'member.remove',
          target: { type: 'user', id: params.userId },
          metadata: { email: target.email, role: target.role },
        });
      });
      return { status: 204 };
    },
  });

  return [list, changeRole, remove];
}
