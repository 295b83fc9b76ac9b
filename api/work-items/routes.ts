import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { notFound } from '../http/problem.js';
import { WorkItemStore, workItemStatuses } from './store.js';

const workItemSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['task', 'ticket']),
    title: z.string(),
    description: z.string(),
    status: z.string(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
    assignee: z.string().optional(),
    dueAt: z.string().optional(),
    requester: z.string().optional(),
    data: z.unknown(),
    runId: z.uuid().optional().describe('The run that created it'),
    createdAt: z.string(),
  })
  .meta({ id: 'WorkItem' });

/** Lists of the tasks and tickets workflows created (newest first), and their status. */
export function workItemRoutes({ knex }: ApiContext): AnyRoute[] {
  const store = new WorkItemStore(knex);
  return (['task', 'ticket'] as const).flatMap((kind) => [
    defineRoute({
      method: 'get',
      path: `/api/v1/workspaces/:workspaceId/${kind}s`,
      summary: `List ${kind}s, newest first`,
      tags: ['work items'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({
        status: z.string().max(50).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      responses: {
        200: { description: `${kind}s`, schema: z.object({ items: z.array(workItemSchema) }) },
        ...problemResponses(400, 401, 404),
      },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: { items: await store.list(kind, workspaceScope(workspace).id, query) },
      }),
    }),
    defineRoute({
      method: 'patch',
      path: `/api/v1/workspaces/:workspaceId/${kind}s/:${kind}Id`,
      summary: `Change a ${kind}'s status (${workItemStatuses[kind].join(', ')})`,
      tags: ['work items'],
      auth: { workspaceRole: 'member' },
      params: z.object({ workspaceId: z.uuid(), [`${kind}Id`]: z.uuid() }),
      body: z.object({ status: z.enum(workItemStatuses[kind]) }),
      responses: {
        200: { description: `The ${kind}`, schema: workItemSchema },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ workspace, params, body }) => {
        const id = (params as Record<string, string>)[`${kind}Id`]!;
        const item = await store.setStatus(kind, workspaceScope(workspace).id, id, body.status);
        if (!item) throw notFound(`The ${kind}`);
        return { status: 200, body: item };
      },
    }),
  ]);
}
