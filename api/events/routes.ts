import { z } from 'zod';
import type { JsonObject } from '../../engine/json.js';
import { eventNameSchema } from '../../nodes/triggers/event.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { isPlatformEventName, PLATFORM_EVENT_PREFIXES } from './platform.js';
import { EventService } from './service.js';

/** Revflow's own event names (DESIGN §9), in any case, and their bare family names. */
function isReservedName(name: string): boolean {
  const lower = name.toLowerCase();
  return isPlatformEventName(lower) || PLATFORM_EVENT_PREFIXES.some((prefix) => lower === prefix.slice(0, -1));
}

const postEventSchema = z.object({
  id: z.string().min(1).max(200).describe("The sender's event id: a repeated id starts nothing"),
  name: eventNameSchema
    .refine(
      (name) => !isReservedName(name),
      `is reserved for events Revflow emits itself (${PLATFORM_EVENT_PREFIXES.map((p) => `${p}*`).join(', ')}); ` +
        'choose a name of your own, e.g. "app.user_signed_up"',
    )
    .describe('The event name, e.g. "user.signed_up"; platform names (billing.*, nps.*, ...) are reserved'),
  data: z.record(z.string(), z.unknown()).optional().describe('The event payload (a JSON object)'),
  occurredAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When it happened; default: when received'),
});

const eventRunSchema = z.object({ id: z.uuid(), workflowId: z.uuid(), nodeId: z.string() });

const eventSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    data: z.record(z.string(), z.unknown()),
    occurredAt: z.string(),
    receivedAt: z.string(),
  })
  .meta({ id: 'ProductEvent' });

const ingestResultSchema = z
  .object({ event: eventSchema, duplicate: z.boolean(), runs: z.array(eventRunSchema) })
  .meta({ id: 'EventIngestResult' });

const storedEventSchema = eventSchema
  .extend({ runs: z.array(eventRunSchema).nullable() })
  .meta({ id: 'StoredProductEvent' });

/** The events API: product events that start `trigger.event` workflows. */
export function eventRoutes({ knex, bundle, logger }: ApiContext): AnyRoute[] {
  // The engine is reached lazily: servers built without one (account tests) never touch it.
  const events = new EventService(knex, () => bundle.runtime, logger);
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/events',
      summary: 'Post a product event',
      description:
        'Stores the event, then starts every active workflow whose `trigger.event` node names it (and whose ' +
        'filter holds), answering 202 with the runs. A repeated event id answers 200 with the first ' +
        "delivery's runs and `duplicate: true`, and starts nothing.",
      tags: ['events'],
      auth: { workspaceRole: 'member' },
      params: z.object({ workspaceId: z.uuid() }),
      body: postEventSchema,
      responses: {
        202: { description: 'Stored; the runs started', schema: ingestResultSchema },
        200: { description: 'A repeated event id: nothing started', schema: ingestResultSchema },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ workspace, body }) => {
        const result = await events.ingest(workspaceScope(workspace).id, {
          id: body.id,
          name: body.name,
          // express.json produced it: it is JSON.
          data: body.data as JsonObject | undefined,
          occurredAt: body.occurredAt,
        });
        return { status: result.duplicate ? 200 : 202, body: result };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/events',
      summary: 'List received events, newest first',
      tags: ['events'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({
        name: eventNameSchema.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
      responses: {
        200: { description: 'Events', schema: z.object({ items: z.array(storedEventSchema) }) },
        ...problemResponses(400, 401, 404),
      },
      handler: async ({ workspace, query }) => ({
        status: 200,
        body: { items: await events.list(workspaceScope(workspace).id, query) },
      }),
    }),
  ];
}
