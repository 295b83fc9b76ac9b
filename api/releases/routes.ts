import { z } from 'zod';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { planIds } from '../billing/plans.js';
import { personOf } from '../feedback/route-helpers.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, roles, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { releaseFeed } from './feed.js';
import { renderMarkdown } from './markdown.js';
import { publishDue, publishNote } from './publish.js';
import { releaseCategories, ReleaseStore } from './store.js';

const audience = z.strictObject({
  plans: z.array(z.enum(planIds)).max(planIds.length).default([]),
  roles: z.array(z.enum(roles)).max(roles.length).default([]),
});
const noteFields = {
  title: z.string().trim().min(1).max(200),
  body: z.string().max(50_000),
  category: z.enum(releaseCategories),
  version: z.string().trim().max(40).nullable().optional(),
  featured: z.boolean().optional(),
  audience: audience.optional(),
  status: z.enum(['draft', 'scheduled']).optional(),
  scheduledAt: z.iso.datetime({ offset: true }).nullable().optional(),
};
const adminTags = ['releases (instance admins)'];
const tags = ['releases'];
const noteId = z.object({ noteId: z.uuid() });

/**
 * The release center: instance admins write notes (draft → scheduled → published); users read
 * the notes meant for their plan and role, with a per-person read state; the public notes
 * (audience: everyone) are also an Atom and an RSS feed.
 */
export function releasesRoutes({ knex, publicUrl }: ApiContext): AnyRoute[] {
  const store = new ReleaseStore(knex);
  const billing = billingFor(knex);
  // A note due is published on the next read too, not only by the sweeper's next round.
  const catchUp = () => publishDue(knex, { publicUrl });
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/releases',
      summary: 'Every release note, drafts and scheduled ones included',
      tags: adminTags,
      auth: 'instanceAdmin',
      responses: { 200: { description: 'Notes' }, ...problemResponses(401, 403) },
      handler: async () => {
        await catchUp();
        return { status: 200, body: { items: await store.all() } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/releases',
      summary: 'Write a release note (a draft, or scheduled with scheduledAt)',
      tags: adminTags,
      auth: 'instanceAdmin',
      body: z.strictObject(noteFields),
      responses: { 201: { description: 'The note' }, ...problemResponses(400, 401, 403) },
      handler: async ({ principal, body }) => ({
        status: 201,
        body: await store.create(body, personOf(principal)),
      }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/admin/releases/:noteId',
      summary: 'Edit a note; drafts and scheduled notes may be (re)scheduled',
      tags: adminTags,
      auth: 'instanceAdmin',
      params: noteId,
      body: z.strictObject({
        ...noteFields,
        title: noteFields.title.optional(),
        body: noteFields.body.optional(),
        category: noteFields.category.optional(),
      }),
      responses: { 200: { description: 'The note' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ params, body }) => ({ status: 200, body: await store.update(params.noteId, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/releases/:noteId/publish',
      summary: 'Publish a note now: emits release.published in every workspace it concerns',
      tags: adminTags,
      auth: 'instanceAdmin',
      params: noteId,
      body: z.strictObject({}),
      responses: { 200: { description: 'The published note' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ params }) => ({
        status: 200,
        body: await publishNote(knex, params.noteId, { publicUrl }),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/releases/:noteId',
      summary: 'Delete a note',
      tags: adminTags,
      auth: 'instanceAdmin',
      params: noteId,
      responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 403, 404) },
      handler: async ({ params }) => {
        await store.remove(params.noteId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/releases/preview',
      summary: 'The sanitised HTML of a markdown body (the editor preview)',
      tags: adminTags,
      auth: 'instanceAdmin',
      body: z.strictObject({ body: noteFields.body }),
      responses: { 200: { description: 'HTML' }, ...problemResponses(400, 401, 403) },
      handler: ({ body }) => ({ status: 200, body: { html: renderMarkdown(body.body) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/releases',
      summary: "The changelog: published notes for this workspace's plan and your role, with your read state",
      tags,
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(100) }),
      responses: {
        200: { description: 'Notes and the unread count' },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ principal, workspace, query }) => {
        await catchUp();
        const scope = workspaceScope(workspace);
        const plan = effectivePlan(await billing.accounts.get(scope.id));
        const items = await store.visible(personOf(principal), { plan, role: scope.role }, query.limit);
        return { status: 200, body: { items, unread: items.filter((note) => !note.read).length } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/workspaces/:workspaceId/releases/read',
      summary: 'Mark notes read (the ids given, or every note you see with `all`)',
      tags,
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      body: z.strictObject({ noteIds: z.array(z.uuid()).max(200).optional(), all: z.boolean().optional() }),
      responses: { 200: { description: 'The unread count left' }, ...problemResponses(400, 401, 403, 404) },
      handler: async ({ principal, workspace, body }) => {
        const userId = personOf(principal);
        const scope = workspaceScope(workspace);
        const plan = effectivePlan(await billing.accounts.get(scope.id));
        const visible = await store.visible(userId, { plan, role: scope.role }, 200);
        // Only notes this person sees can be marked: foreign or unknown ids are ignored.
        const wanted = new Set(body.all ? visible.map((note) => note.id) : (body.noteIds ?? []));
        await store.markRead(
          userId,
          visible.filter((note) => wanted.has(note.id)).map((note) => note.id),
        );
        const left = visible.filter((note) => !note.read && !wanted.has(note.id)).length;
        return { status: 200, body: { unread: left } };
      },
    }),
    ...(['atom', 'rss'] as const).map((format) =>
      defineRoute({
        method: 'get',
        path: `/api/v1/releases/feed.${format}`,
        summary: `The public release notes as ${format === 'atom' ? 'an Atom' : 'an RSS 2.0'} feed`,
        tags,
        auth: 'public',
        responses: {
          200: {
            description: 'The feed',
            schema: z.string(),
            contentType: format === 'atom' ? 'application/atom+xml' : 'application/rss+xml',
          },
        },
        handler: async ({ res }) => {
          await catchUp();
          const xml = releaseFeed(await store.publicNotes(), publicUrl, format);
          res
            .status(200)
            .type(
              format === 'atom'
                ? 'application/atom+xml; charset=utf-8'
                : 'application/rss+xml; charset=utf-8',
            )
            .set('Cache-Control', 'public, max-age=300')
            .send(xml);
          return undefined;
        },
      }),
    ),
  ];
}
