import { z } from 'zod';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { personOf, viewerOf } from './route-helpers.js';
import { FeedbackNotifications } from './notifications.js';
import { FeedbackStore, feedbackKinds, statusKinds } from './store.js';

const ws = z.object({ workspaceId: z.uuid() });
const post = z.object({ workspaceId: z.uuid(), postId: z.uuid() });
const tags = ['feedback'];

/**
 * The board as users see it, from any workspace they belong to (the board itself is the
 * instance's: see README "Feedback"). Viewers may give feedback and vote too: everyone's voice.
 */
export function boardRoutes({ knex, auth }: ApiContext): AnyRoute[] {
  const store = new FeedbackStore(knex);
  const notifications = new FeedbackNotifications(knex);
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/feedback',
      summary: 'Give feedback (the widget): an idea, a problem or praise, with the page it came from',
      description:
        'Ideas go on the board for everyone to vote on (the author votes first); problems and praise are seen only by their author and the instance admins. Emits `feedback.created` in this workspace.',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      body: z.strictObject({
        kind: z.enum(feedbackKinds),
        text: z.string().min(1).max(5000),
        title: z.string().max(200).optional(),
        page: z.string().max(500).optional(),
      }),
      responses: { 201: { description: 'The post' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ principal, workspace, body }) => ({
        status: 201,
        body: await store.create({
          userId: personOf(principal),
          workspaceId: workspaceScope(workspace).id,
          ...body,
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/feedback/posts',
      summary: 'The board: ideas (and your own posts), top or newest first',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      query: z.object({
        kind: z.enum(feedbackKinds).optional(),
        status: z.enum(statusKinds).optional(),
        sort: z.enum(['top', 'new']).default('top'),
      }),
      responses: { 200: { description: 'Posts' }, ...problemResponses(400, 401, 404) },
      handler: async ({ principal, query }) => ({
        status: 200,
        body: {
          items: await store.list(await viewerOf(auth, principal), {
            sort: query.sort,
            ...(query.kind ? { kind: query.kind } : {}),
            ...(query.status ? { statusKind: query.status } : {}),
          }),
        },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/feedback/posts/:postId',
      summary: 'One post with its comments',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: post,
      responses: { 200: { description: 'The post' }, ...problemResponses(401, 404) },
      handler: async ({ principal, params }) => {
        const viewer = await viewerOf(auth, principal);
        const item = await store.get(viewer, params.postId);
        return { status: 200, body: { ...item, commentList: await store.comments(viewer, params.postId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/feedback/posts/:postId/votes',
      summary: 'Vote for an idea (one vote per person: voting again changes nothing)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: post,
      body: z.strictObject({}),
      responses: {
        200: { description: 'The post with its votes' },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      handler: async ({ principal, workspace, params }) => ({
        status: 200,
        body: await store.vote(await viewerOf(auth, principal), workspaceScope(workspace).id, params.postId),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/workspaces/:workspaceId/feedback/posts/:postId/votes',
      summary: 'Take your vote back',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: post,
      responses: { 200: { description: 'The post with its votes' }, ...problemResponses(401, 403, 404) },
      handler: async ({ principal, params }) => ({
        status: 200,
        body: await store.unvote(await viewerOf(auth, principal), params.postId),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/feedback/posts/:postId/comments',
      summary: 'Comment on a post (plain text; shown as text, never as HTML)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: post,
      body: z.strictObject({ body: z.string().min(1).max(5000) }),
      responses: { 201: { description: 'The comment' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ principal, params, body }) => ({
        status: 201,
        body: await store.comment(await viewerOf(auth, principal), params.postId, body.body),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/feedback/statuses',
      summary:
        'The board statuses: fixed kinds (open, planned, in_progress, shipped, declined) with custom names',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      responses: { 200: { description: 'Statuses' }, ...problemResponses(401, 404) },
      handler: async () => ({ status: 200, body: { items: await store.statuses() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/feedback/notifications',
      summary: 'Your notifications: ideas you voted for that shipped',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: ws,
      responses: { 200: { description: 'Notifications, newest first' }, ...problemResponses(401, 403, 404) },
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: await notifications.list(personOf(principal)) },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/feedback/notifications/:notificationId/read',
      summary: 'Mark one of your notifications read',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid(), notificationId: z.uuid() }),
      responses: { 204: { description: 'Read' }, ...problemResponses(401, 403, 404) },
      handler: async ({ principal, params }) => {
        await notifications.markRead(personOf(principal), params.notificationId);
        return { status: 204 };
      },
    }),
  ];
}
