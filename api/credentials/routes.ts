import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { conflict, notFound, validationProblem } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import {
  credentialDataSchemas,
  credentialSchema,
  createCredentialSchema,
  credentialTypeSchema,
  updateCredentialSchema,
} from './schemas.js';
import { CredentialStore } from './store.js';

const workspaceParams = z.object({ workspaceId: z.uuid() });
const credentialParams = workspaceParams.extend({ id: z.string().max(100) });

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}

/**
 * Credentials of a workspace. Admins create, change and delete them; members see names and
 * types (to pick one on the canvas). The secret data goes in and never comes out.
 */
export function credentialRoutes({ knex, secrets }: ApiContext): AnyRoute[] {
  const store = new CredentialStore(knex, secrets);
  const base = '/api/v1/workspaces/:workspaceId/credentials';
  const nameTaken = () =>
    conflict('A credential with this name already exists in the workspace', { reason: 'name_taken' });

  return [
    defineRoute({
      method: 'get',
      path: base,
      summary: 'List credentials: names and types only',
      tags: ['credentials'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      responses: {
        200: { description: 'Credentials by name', schema: z.object({ items: z.array(credentialSchema) }) },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace }) => ({
        status: 200,
        body: { items: await store.list(workspaceScope(workspace).id) },
      }),
    }),
    defineRoute({
      method: 'post',
      path: base,
      summary: 'Create a credential; its data is sealed and never returned',
      tags: ['credentials'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: createCredentialSchema,
      responses: {
        201: { description: 'Created', schema: credentialSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      handler: async ({ req, workspace, body, principal }) => {
        const scope = workspaceScope(workspace);
        try {
          const created = await store.create({
            workspaceId: scope.id,
            name: body.name,
            type: body.type,
            data: body.data,
            createdBy: principal?.userId ?? null,
            ...(body.allowedHosts && { allowedHosts: body.allowedHosts }),
          });
          await audit(knex, {
            workspaceId: scope.id,
            ...auditSource(req, principal),
            action: 'credential.create',
            target: { type: 'credential', id: created.id },
            metadata: { name: created.name, type: created.type, allowedHosts: created.allowedHosts },
          });
          return { status: 201, body: created };
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken();
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:id`,
      summary: 'A credential: name and type only',
      tags: ['credentials'],
      auth: { workspaceRole: 'member' },
      params: credentialParams,
      responses: {
        200: { description: 'The credential', schema: credentialSchema },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace, params }) => {
        const row = await store.find(workspaceScope(workspace).id, params.id);
        if (!row) throw notFound('The credential');
        return { status: 200, body: CredentialStore.view(row) };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${base}/:id`,
      summary: 'Rename a credential and/or replace its data (same type)',
      tags: ['credentials'],
      auth: { workspaceRole: 'admin' },
      params: credentialParams,
      body: updateCredentialSchema,
      responses: {
        200: { description: 'Changed', schema: credentialSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      handler: async ({ req, workspace, params, body, principal }) => {
        const scope = workspaceScope(workspace);
        const row = await store.find(scope.id, params.id);
        if (!row) throw notFound('The credential');
        let data: unknown;
        if (body.data !== undefined) {
          const parsed = credentialDataSchemas[credentialTypeSchema.parse(row.type)].safeParse(body.data);
          if (!parsed.success) {
            throw validationProblem(
              'body',
              new z.ZodError(
                parsed.error.issues.map((issue) => ({ ...issue, path: ['data', ...issue.path] })),
              ),
            );
          }
          data = parsed.data;
        }
        try {
          const updated = await store.update(scope.id, params.id, {
            ...(body.name !== undefined && { name: body.name }),
            ...(data !== undefined && { data }),
            ...(body.allowedHosts !== undefined && { allowedHosts: body.allowedHosts }),
          });
          if (!updated) throw notFound('The credential');
          await audit(knex, {
            workspaceId: scope.id,
            ...auditSource(req, principal),
            action: 'credential.update',
            target: { type: 'credential', id: updated.id },
            metadata: {
              name: updated.name,
              dataChanged: data !== undefined,
              ...(body.allowedHosts !== undefined && { allowedHosts: body.allowedHosts }),
            },
          });
          return { status: 200, body: updated };
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken();
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/:id`,
      summary: 'Delete a credential; nodes that use it fail with a clear error',
      tags: ['credentials'],
      auth: { workspaceRole: 'admin' },
      params: credentialParams,
      responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 403, 404) },
      handler: async ({ req, workspace, params, principal }) => {
        const scope = workspaceScope(workspace);
        const row = await store.find(scope.id, params.id);
        if (!row || !(await store.remove(scope.id, params.id))) throw notFound('The credential');
        await audit(knex, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'credential.delete',
          target: { type: 'credential', id: params.id },
          metadata: { name: row.name },
        });
        return { status: 204 };
      },
    }),
  ];
}
