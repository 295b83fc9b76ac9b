import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import { requireUser } from '../auth/principal.js';
import type { ApiContext } from '../http/context.js';
import { notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { findWorkspace, provisionWorkspace, renameWorkspace, workspacesOfUser } from './repository.js';
import {
  seatsView,
  workspaceNameSchema,
  workspaceParams,
  workspaceSchema,
  workspaceSummarySchema,
  workspaceSummaryView,
} from './schemas.js';
import { seatUsage } from '../billing/seats.js';

/** A person's workspaces; create, read, rename one. */
export function workspaceRoutes({ knex }: ApiContext): AnyRoute[] {
  const list = defineRoute({
    method: 'get',
    path: '/api/v1/workspaces',
    summary: 'The workspaces I belong to, with my role in each',
    description: 'With an API key: the key’s own workspace, with the key’s role.',
    tags: ['workspaces'],
    auth: 'user',
    responses: {
      200: { description: 'Oldest first', schema: z.object({ items: z.array(workspaceSummarySchema) }) },
      ...problemResponses(401),
    },
    async handler({ principal }) {
      if (principal?.apiKey) {
        const row = await findWorkspace(knex, principal.apiKey.workspaceId);
        return {
          status: 200,
          body: { items: row ? [workspaceSummaryView(row, principal.apiKey.role)] : [] },
        };
      }
      const rows = await workspacesOfUser(knex, requireUser(principal));
      return { status: 200, body: { items: rows.map((row) => workspaceSummaryView(row, row.role)) } };
    },
  });

  const create = defineRoute({
    method: 'post',
    path: '/api/v1/workspaces',
    summary: 'Create another workspace (Free plan); I become its owner',
    tags: ['workspaces'],
    auth: 'user',
    body: z.object({ name: workspaceNameSchema }),
    responses: {
      201: { description: 'The new workspace', schema: workspaceSummarySchema },
      ...problemResponses(400, 401, 403),
    },
    async handler({ req, body, principal }) {
      const userId = requireUser(principal);
      const row = await knex.transaction(async (trx) => {
        const row = await provisionWorkspace(trx, { name: body.name, ownerId: userId });
        await audit(trx, {
          workspaceId: row.id,
          ...auditSource(req, principal),
          action: 'workspace.create',
          target: { type: 'workspace', id: row.id },
          metadata: { name: row.name },
        });
        return row;
      });
      return { status: 201, body: workspaceSummaryView(row, 'owner') };
    },
  });

  const get = defineRoute({
    method: 'get',
    path: '/api/v1/workspaces/:workspaceId',
    summary: 'A workspace, my role in it and its seats',
    tags: ['workspaces'],
    auth: { workspaceRole: 'viewer' },
    params: workspaceParams,
    responses: {
      200: { description: 'The workspace', schema: workspaceSchema },
      ...problemResponses(401, 404),
    },
    async handler({ workspace }) {
      const scope = workspaceScope(workspace);
      const row = await findWorkspace(knex, scope.id);
      if (!row) throw notFound('The workspace');
      const usage = await seatUsage(knex, row);
      return { status: 200, body: { ...workspaceSummaryView(row, scope.role), seats: seatsView(usage) } };
    },
  });

  const rename = defineRoute({
    method: 'patch',
    path: '/api/v1/workspaces/:workspaceId',
    summary: 'Rename a workspace (admin or owner)',
    tags: ['workspaces'],
    auth: { workspaceRole: 'admin' },
    params: workspaceParams,
    body: z.object({ name: workspaceNameSchema }),
    responses: {
      200: { description: 'The renamed workspace', schema: workspaceSchema },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ req, body, principal, workspace }) {
      const scope = workspaceScope(workspace);
      const row = await knex.transaction(async (trx) => {
        const before = await findWorkspace(trx, scope.id);
        const row = await renameWorkspace(trx, scope.id, body.name);
        if (!before || !row) throw notFound('The workspace');
        if (before.name !== row.name) {
          await audit(trx, {
            workspaceId: scope.id,
            ...auditSource(req, principal),
            action: 'workspace.rename',
            target: { type: 'workspace', id: scope.id },
            metadata: { from: before.name, to: row.name },
          });
        }
        return row;
      });
      const usage = await seatUsage(knex, row);
      return { status: 200, body: { ...workspaceSummaryView(row, scope.role), seats: seatsView(usage) } };
    },
  });

  return [list, create, get, rename];
}
