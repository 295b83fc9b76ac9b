import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { npsResults } from './nps-results.js';
import { viewerOf } from './route-helpers.js';
import { FeedbackModeration } from './moderation.js';
import { FeedbackStore, feedbackKinds, statusKinds } from './store.js';

const tags = ['feedback (instance admins)'];
const post = z.object({ postId: z.uuid() });

/** What instance admins do with the board and the survey: statuses, shipping, merging, results. */
export function feedbackAdminRoutes({ knex, auth }: ApiContext): AnyRoute[] {
  const store = new FeedbackStore(knex);
  const moderation = new FeedbackModeration(knex, store);
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/feedback/posts',
      summary: 'Every post of every kind, with authors (instance admins)',
      tags,
      auth: 'instanceAdmin',
      query: z.object({
        kind: z.enum(feedbackKinds).optional(),
        status: z.enum(statusKinds).optional(),
        sort: z.enum(['top', 'new']).default('new'),
        includeMerged: z.enum(['true', 'false']).default('false'),
      }),
      responses: { 200: { description: 'Posts' }, ...problemResponses(400, 401, 403) },
      handler: async ({ principal, query }) => ({
        status: 200,
        body: {
          items: await store.list(await viewerOf(auth, principal), {
            sort: query.sort,
            includeMerged: query.includeMerged === 'true',
            ...(query.kind ? { kind: query.kind } : {}),
            ...(query.status ? { statusKind: query.status } : {}),
          }),
        },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/feedback/posts/:postId/voters',
      summary: 'Who voted for a post (instance admins)',
      tags,
      auth: 'instanceAdmin',
      params: post,
      responses: { 200: { description: 'Voters' }, ...problemResponses(401, 403, 404) },
      handler: async ({ principal, params }) => {
        await store.get(await viewerOf(auth, principal), params.postId);
        return { status: 200, body: { items: await store.voters(params.postId) } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/admin/feedback/posts/:postId',
      summary: 'Move a post to a status and/or link the release note that ships it',
      description:
        'Emits `feedback.status_changed` in the workspace the post came from. A status of kind `shipped` tells every voter once, in-app and by email (SMTP_URL) — when the linked note is published, if it is not yet.',
      tags,
      auth: 'instanceAdmin',
      params: post,
      body: z.strictObject({ statusId: z.uuid().optional(), releaseNoteId: z.uuid().nullable().optional() }),
      responses: { 200: { description: 'The post' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await moderation.update(await viewerOf(auth, principal), params.postId, {
          ...(body.statusId !== undefined ? { statusId: body.statusId } : {}),
          ...(body.releaseNoteId !== undefined ? { releaseNoteId: body.releaseNoteId } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/feedback/posts/:postId/merge',
      summary: 'Merge a duplicate into another post: its votes move (no one votes twice)',
      tags,
      auth: 'instanceAdmin',
      params: post,
      body: z.strictObject({ intoId: z.uuid() }),
      responses: {
        200: { description: 'The post merged into' },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await moderation.merge(await viewerOf(auth, principal), params.postId, body.intoId),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/feedback/statuses',
      summary: 'Add a status: a custom name on one of the fixed kinds',
      tags,
      auth: 'instanceAdmin',
      body: z.strictObject({
        name: z.string().min(1).max(60),
        kind: z.enum(statusKinds),
        position: z.number().int().min(0).max(10_000).optional(),
      }),
      responses: { 201: { description: 'The status' }, ...problemResponses(400, 401, 403, 409) },
      handler: async ({ body }) => ({ status: 201, body: await store.addStatus(body) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/admin/feedback/statuses/:statusId',
      summary: 'Rename a status (its kind stays)',
      tags,
      auth: 'instanceAdmin',
      params: z.object({ statusId: z.uuid() }),
      body: z.strictObject({ name: z.string().min(1).max(60) }),
      responses: { 200: { description: 'The status' }, ...problemResponses(400, 401, 403, 404, 409) },
      handler: async ({ params, body }) => ({
        status: 200,
        body: await store.renameStatus(params.statusId, body.name),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/nps',
      summary:
        'NPS results: % promoters (9–10) − % detractors (0–6), by week, plan and workspace, with comments',
      tags,
      auth: 'instanceAdmin',
      query: z.object({ days: z.coerce.number().int().min(1).max(3650).default(90) }),
      responses: { 200: { description: 'Results' }, ...problemResponses(400, 401, 403) },
      handler: async ({ query }) => ({ status: 200, body: await npsResults(knex, query.days) }),
    }),
  ];
}
