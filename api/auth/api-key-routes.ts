import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { forbidden, notFound } from '../http/problem.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, roleAtLeast, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { workspaceParams } from '../workspaces/schemas.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from './api-keys.js';
import { isoDate } from './schemas.js';

/** Keys act for a workspace, never as an owner: owner-only actions need a person. */
const keyRoles = ['viewer', 'member', 'admin'] as const;

const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(keyRoles),
    prefix: z.string().describe('The first characters of the key, to tell keys apart'),
    createdByUserId: z.uuid().nullable(),
    createdAt: isoDate,
    lastUsedAt: isoDate.nullable().describe('Updated at most once a minute'),
    revokedAt: isoDate.nullable(),
  })
  .meta({ id: 'ApiKey' });

const createdSchema = apiKeySchema
  .extend({
    key: z.string().describe('The secret, shown this once: send it as `Authorization: Bearer <key>`'),
  })
  .meta({ id: 'ApiKeyWithSecret' });

export type ApiKeyView = z.infer<typeof apiKeySchema>;
export type ApiKeyWithSecret = z.infer<typeof createdSchema>;

function apiKeyView(row: ApiKeyRow): z.infer<typeof apiKeySchema> {
  return {
    id: row.id,
    name: row.name,
    role: row.role as (typeof keyRoles)[number],
    prefix: row.prefix,
    createdByUserId: row.created_by_user_id,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

const KEYS_NEED_A_PERSON = 'API keys are managed by people: an API key cannot create, list or revoke keys';

/**
 * Workspace API keys. Members create keys with a role up to their own (admin at most); any
 * member lists them (never the secret); admins revoke any key, members their own.
 */
export function apiKeyRoutes({ knex }: ApiContext): AnyRoute[] {
  const base = '/api/v1/workspaces/:workspaceId/api-keys';

  const create = defineRoute({
    method: 'post',
    path: base,
    summary: 'Create an API key (its secret is in this response only)',
    tags: ['api-keys'],
    auth: { workspaceRole: 'member' },
    params: workspaceParams,
    body: z.object({
      name: z
        .string()
        .trim()
        .min(1, 'Enter a name for the key')
        .max(100, 'Name must be at most 100 characters'),
      role: z.enum(keyRoles).default('member'),
    }),
    responses: {
      201: { description: 'The key, with its secret', schema: createdSchema },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ req, body, principal, workspace }) {
      if (principal?.via !== 'session') throw forbidden(KEYS_NEED_A_PERSON);
      const ws = workspaceScope(workspace);
      if (!roleAtLeast(ws.role, body.role)) {
        throw forbidden(
          `A key's role cannot be above your own: you are ${ws.role}, the key asks for ${body.role}`,
        );
      }
      const source = auditSource(req, principal);
      const created = await knex.transaction(async (trx) => {
        const created = await createApiKey(trx, {
          workspaceId: ws.id,
          name: body.name,
          role: body.role,
          createdBy: source.actor,
        });
        await audit(trx, {
          workspaceId: ws.id,
          ...source,
          action: 'api_key.create',
          target: { type: 'api_key', id: created.row.id },
          metadata: { name: body.name, role: body.role, prefix: created.row.prefix },
        });
        return created;
      });
      return { status: 201, body: { ...apiKeyView(created.row), key: created.key } };
    },
  });

  const list = defineRoute({
    method: 'get',
    path: base,
    summary: 'List the API keys of the workspace (never their secrets)',
    tags: ['api-keys'],
    auth: { workspaceRole: 'member' },
    params: workspaceParams,
    query: z.object({ includeRevoked: z.enum(['true', 'false']).default('false') }),
    responses: {
      200: { description: 'The keys, newest first', schema: z.object({ items: z.array(apiKeySchema) }) },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ query, principal, workspace }) {
      if (principal?.via !== 'session') throw forbidden(KEYS_NEED_A_PERSON);
      const rows = await listApiKeys(knex, workspaceScope(workspace).id, query.includeRevoked === 'true');
      return { status: 200, body: { items: rows.map(apiKeyView) } };
    },
  });

  const revoke = defineRoute({
    method: 'delete',
    path: `${base}/:keyId`,
    summary: 'Revoke an API key; it stops working at once',
    tags: ['api-keys'],
    auth: { workspaceRole: 'member' },
    params: workspaceParams.extend({ keyId: z.uuid() }),
    responses: {
      204: { description: 'Revoked (also when it already was)' },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ req, params, principal, workspace }) {
      if (principal?.via !== 'session') throw forbidden(KEYS_NEED_A_PERSON);
      const ws = workspaceScope(workspace);
      const source = auditSource(req, principal);
      await knex.transaction(async (trx) => {
        const existing = await trx<ApiKeyRow>('api_keys')
          .where({ workspace_id: ws.id, id: params.keyId })
          .forUpdate()
          .first();
        if (!existing) throw notFound('The API key');
        if (!roleAtLeast(ws.role, 'admin') && existing.created_by_user_id !== principal.userId) {
          throw forbidden('Members can revoke only the keys they created; this needs the admin role');
        }
        if (existing.revoked_at) return;
        await revokeApiKey(trx, ws.id, params.keyId);
        await audit(trx, {
          workspaceId: ws.id,
          ...source,
          action: 'api_key.revoke',
          target: { type: 'api_key', id: existing.id },
          metadata: { name: existing.name, prefix: existing.prefix },
        });
      });
      return { status: 204 };
    },
  });

  return [create, list, revoke];
}
