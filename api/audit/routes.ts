import { z } from 'zod';
import { isoDate } from '../auth/schemas.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { workspaceParams } from '../workspaces/schemas.js';
import { verifyChain } from './chain.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Cursors are opaque to clients: the id of the last entry seen, base64url-encoded. */
const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
const cursorSchema = z
  .string()
  .transform((value, ctx) => {
    const id = Buffer.from(value, 'base64url').toString('utf8');
    if (!UUID.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'Not a cursor from this API; pass nextCursor as given' });
      return z.NEVER;
    }
    return id;
  })
  .meta({ description: 'nextCursor of the previous page' });

const auditEntrySchema = z
  .object({
    id: z.uuid(),
    action: z.string(),
    actor: z.object({
      type: z.enum(['user', 'apiKey', 'unknown']),
      id: z.uuid().nullable(),
      name: z.string().nullable(),
      email: z.string().nullable(),
    }),
    target: z.object({ type: z.string(), id: z.string() }).nullable(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    at: isoDate,
  })
  .meta({ id: 'AuditEntry' });

const auditPageSchema = z
  .object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
export type AuditPage = z.infer<typeof auditPageSchema>;

interface AuditRow {
  id: string;
  action: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  user_name: string | null;
  user_email: string | null;
  key_name: string | null;
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
}

function entryView(row: AuditRow): z.infer<typeof auditEntrySchema> {
  const actor = row.actor_user_id
    ? { type: 'user' as const, id: row.actor_user_id, name: row.user_name, email: row.user_email }
    : row.actor_api_key_id
      ? { type: 'apiKey' as const, id: row.actor_api_key_id, name: row.key_name, email: null }
      : { type: 'unknown' as const, id: null, name: null, email: null };
  return {
    id: row.id,
    action: row.action,
    actor,
    target: row.target_type && row.target_id ? { type: row.target_type, id: row.target_id } : null,
    metadata: row.metadata,
    ip: row.ip,
    userAgent: row.user_agent,
    at: row.created_at.toISOString(),
  };
}

/** The audit log of a workspace, newest first, for its admins. */
export function auditRoutes({ knex }: ApiContext): AnyRoute[] {
  const list = defineRoute({
    method: 'get',
    path: '/api/v1/workspaces/:workspaceId/audit-log',
    summary: 'Who did what, when and from where (admin or owner)',
    description: 'Newest first. Page with `cursor` = the previous page’s `nextCursor`; filter with `action`.',
    tags: ['audit'],
    auth: { workspaceRole: 'admin' },
    params: workspaceParams,
    query: z.object({
      cursor: cursorSchema.optional(),
      limit: z.coerce.number().int('limit must be a whole number').min(1).max(200).default(50),
      action: z
        .string()
        .regex(/^[a-z_]+\.[a-z_]+$/, 'An action such as invitation.create')
        .optional(),
    }),
    responses: {
      200: {
        description: 'One page of entries',
        schema: auditPageSchema,
      },
      ...problemResponses(400, 401, 403, 404),
    },
    async handler({ query, workspace }) {
      const rows = await knex('audit_log as a')
        .leftJoin('users as u', 'u.id', 'a.actor_user_id')
        .leftJoin('api_keys as k', 'k.id', 'a.actor_api_key_id')
        .where('a.workspace_id', workspaceScope(workspace).id)
        .modify((q) => {
          if (query.action) q.where('a.action', query.action);
          if (query.cursor) q.where('a.id', '<', query.cursor);
        })
        .orderBy('a.id', 'desc')
        .limit(query.limit + 1)
        .select<AuditRow[]>('a.*', 'u.name as user_name', 'u.email as user_email', 'k.name as key_name');
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        status: 200,
        body: {
          items: page.map(entryView),
          nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
        },
      };
    },
  });
  const verify = defineRoute({
    method: 'get',
    path: '/api/v1/workspaces/:workspaceId/audit-log/verify',
    summary: 'Verify the audit log hash chain (admin or owner)',
    description:
      'Recomputes every entry’s hash from its content and the entry before it; names the first entry that does not verify.',
    tags: ['audit'],
    auth: { workspaceRole: 'admin' },
    params: workspaceParams,
    responses: {
      200: {
        description: 'The chain report (ok: false names the broken entry)',
        schema: z
          .object({
            ok: z.boolean(),
            entries: z.number(),
            unchained: z.number(),
            headHash: z.string().nullable(),
            brokenAt: z
              .object({ id: z.string(), seq: z.number().nullable(), action: z.string(), reason: z.string() })
              .nullable(),
            verifiedAt: z.string(),
          })
          .meta({ id: 'AuditChainReport' }),
      },
      ...problemResponses(400, 401, 403, 404),
    },
    handler: async ({ workspace }) => ({
      status: 200,
      body: await verifyChain(knex, workspaceScope(workspace).id),
    }),
  });
  return [list, verify];
}
