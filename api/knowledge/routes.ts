// Over 400 lines on purpose: the feature's whole route table in one place, as the other features keep theirs.
import { z } from 'zod';
import { invalidInput } from '../../engine/errors.js';
import type { AiService } from '../../nodes/ai/service.js';
import { uuidv7 } from '../db/ids.js';
import { createNodeServices } from '../services.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceParams } from '../workspaces/schemas.js';
import { audit, auditSource } from '../audit/audit.js';
import { renderSection, type Section } from './fuse.js';
import { generateKnowledge } from './generate.js';
import { searchDocuments } from './search.js';
import { KnowledgeStore } from './store.js';
import {
  documentOut,
  kindSchema,
  knowledgeEnabled,
  presentDocument,
  requiredPlan,
  requireKnowledge,
  viewTotals,
} from './views.js';

const base = '/api/v1/workspaces/:workspaceId/knowledge';
const problems = problemResponses(400, 401, 402, 403, 404, 409);
const docParams = workspaceParams.extend({ documentId: z.string().max(100) });

const tag = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, spaces, _ . -');
const title = z.string().trim().min(1).max(200);
const markdown = z.string().max(100_000);
const competitor = z.string().trim().min(1).max(80);

const createBody = z.object({
  kind: kindSchema,
  title,
  competitor: competitor.nullable().optional(),
  tags: z.array(tag).max(20).default([]),
  sections: z
    .array(z.object({ heading: z.string().trim().min(1).max(200), body: markdown }))
    .min(1)
    .max(100),
});

const patchBody = z.object({
  title: title.optional(),
  competitor: competitor.nullable().optional(),
  tags: z.array(tag).max(20).optional(),
  /** The version the edit was made on: a newer one answers 409 instead of losing a change. */
  version: z.number().int().min(1).optional(),
  sections: z
    .array(
      z.object({
        key: z.string().min(1).max(200).optional().describe('An existing section; none: a new one'),
        heading: z.string().trim().min(1).max(200).optional(),
        body: markdown.optional(),
        release: z
          .boolean()
          .optional()
          .describe('Hand the section back to generation (its text is regenerated)'),
      }),
    )
    .max(100)
    .optional(),
});

const generateBody = z.object({
  callIds: z.array(z.string().max(100)).max(50).optional(),
  emailIds: z.array(z.string().max(100)).max(200).optional(),
  texts: z
    .array(z.object({ title: z.string().trim().min(1).max(200), text: z.string().min(1).max(1_000_000) }))
    .max(20)
    .optional(),
  kinds: z.array(kindSchema).min(1).max(4).optional(),
  provider: z.enum(['local', 'openai-compatible']).optional(),
});

const searchQuery = z.object({
  q: z.string().max(500).optional(),
  kind: kindSchema.optional(),
  competitor: z.string().max(80).optional(),
  tag: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

const hitOut = z.object({
  id: z.string(),
  kind: kindSchema,
  title: z.string(),
  competitor: z.string().nullable(),
  tags: z.array(z.string()),
  version: z.number().int(),
  provider: z.string(),
  updatedAt: z.string(),
  rank: z.number().nullable(),
  snippet: z.array(z.object({ text: z.string(), hit: z.boolean() })),
});

/** Knowledge Fusion's API (Professional and above): documents, generation, search, history, views, competitors. */
export function knowledgeRoutes(ctx: ApiContext): AnyRoute[] {
  const { knex } = ctx;
  const store = new KnowledgeStore(knex);
  // The AI service as nodes get it (workspace AI settings, credentials, SSRF guard), built on first use.
  let ai: AiService | undefined;
  const aiService = (): AiService | undefined =>
    (ai ??= createNodeServices({ knex, secrets: ctx.secrets }).ai);
  const full = async (workspaceId: string, id: string, userId: string | null) => {
    const row = await store.get(workspaceId, id);
    return presentDocument(row, await store.sources(id), await viewTotals(knex, id, userId));
  };
  return [
    defineRoute({
      method: 'get',
      path: `${base}/status`,
      summary: 'Whether the plan includes Knowledge Fusion (any plan may ask)',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: workspaceParams,
      responses: {
        200: { description: 'Status', schema: z.object({ enabled: z.boolean(), requiredPlan: z.string() }) },
        ...problems,
      },
      handler: async ({ workspace }) => ({
        status: 200,
        body: { enabled: await knowledgeEnabled(knex, workspace!.id), requiredPlan: requiredPlan() },
      }),
    }),
    defineRoute({
      method: 'get',
      path: `${base}/documents`,
      summary: 'Search the library (full text with ranking and snippets; filters by kind, competitor, tag)',
      description:
        '`q` takes web-search syntax: words, "quoted phrases", OR, -excluded. Without `q`: newest first. ' +
        'A query matching more than 1,000 documents ranks its 1,000 newest matches; totals are counted up to 1,000.',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: workspaceParams,
      query: searchQuery,
      responses: {
        200: {
          description: 'Documents',
          schema: z.object({
            items: z.array(hitOut),
            total: z.number().int(),
            totalCapped: z.boolean().describe('More matches than `total` (counted up to 1,000)'),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace, query }) => {
        await requireKnowledge(knex, workspace!.id);
        return { status: 200, body: await searchDocuments(knex, workspace!.id, query) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/documents`,
      summary: 'Write a document by hand (members); its sections count as human-edited',
      tags: ['knowledge'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      body: createBody,
      responses: { 201: { description: 'Created', schema: documentOut }, ...problems },
      handler: async ({ workspace, body, principal }) => {
        await requireKnowledge(knex, workspace!.id);
        const userId = principal?.userId ?? null;
        const now = new Date().toISOString();
        const sections: Section[] = body.sections.map((s) => ({
          key: `h:${uuidv7()}`,
          heading: s.heading,
          body: s.body,
          provider: 'human',
          humanEdited: true,
          editedBy: userId,
          updatedAt: now,
          items: [],
        }));
        const row = await knex.transaction((trx) =>
          store.create(
            trx,
            workspace!.id,
            {
              kind: body.kind,
              topicKey: null,
              title: body.title,
              competitor: body.competitor ?? null,
              tags: body.tags,
              sections,
            },
            userId,
            'created',
          ),
        );
        return { status: 201, body: await full(workspace!.id, row.id, userId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/documents/:documentId`,
      summary: 'A document with its sections (sanitised HTML), sources and view counts',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: docParams,
      responses: { 200: { description: 'The document', schema: documentOut }, ...problems },
      handler: async ({ workspace, params, principal }) => {
        await requireKnowledge(knex, workspace!.id);
        return { status: 200, body: await full(workspace!.id, params.documentId, principal?.userId ?? null) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/documents/:documentId`,
      summary: 'Edit a document (members): edited sections are marked human-edited and survive regeneration',
      tags: ['knowledge'],
      auth: { workspaceRole: 'member' },
      params: docParams,
      body: patchBody,
      responses: { 200: { description: 'The new version', schema: documentOut }, ...problems },
      handler: async ({ req, workspace, params, body, principal }) => {
        const workspaceId = workspace!.id;
        await requireKnowledge(knex, workspaceId);
        const userId = principal?.userId ?? null;
        await knex.transaction(async (trx) => {
          const current = await store.get(workspaceId, params.documentId, trx, true);
          const sections = current.sections.map((s) => ({ ...s }));
          const now = new Date().toISOString();
          for (const [index, edit] of (body.sections ?? []).entries()) {
            if (!edit.key) {
              if (!edit.heading || edit.body === undefined)
                throw invalidInput(`sections.${index}`, 'A new section needs a heading and a body');
              sections.push({
                key: `h:${uuidv7()}`,
                heading: edit.heading,
                body: edit.body,
                provider: 'human',
                humanEdited: true,
                editedBy: userId,
                updatedAt: now,
                items: [],
              });
              continue;
            }
            const section = sections.find((s) => s.key === edit.key);
            if (!section)
              throw invalidInput(`sections.${index}.key`, `The document has no section ${edit.key}`);
            if (edit.release) {
              Object.assign(section, {
                humanEdited: false,
                editedBy: null,
                provider: 'local',
                body: renderSection(section.key, section.items),
                updatedAt: now,
              });
              continue;
            }
            const heading = edit.heading ?? section.heading;
            const text = edit.body ?? section.body;
            if (heading === section.heading && text === section.body) continue;
            Object.assign(section, {
              heading,
              body: text,
              provider: 'human',
              humanEdited: true,
              editedBy: userId,
              updatedAt: now,
            });
          }
          await store.update(
            trx,
            current,
            {
              title: body.title ?? current.title,
              tags: body.tags ?? current.tags,
              competitor: body.competitor === undefined ? current.competitor : body.competitor,
              sections,
            },
            userId,
            'edited',
            body.version,
          );
          await audit(trx, {
            workspaceId,
            ...auditSource(req, principal),
            action: 'knowledge.document_edit',
            target: { type: 'knowledge_document', id: current.id },
            metadata: {
              version: current.version + 1,
              sections: (body.sections ?? []).map((s) => s.key ?? 'new'),
            },
          });
        });
        return { status: 200, body: await full(workspaceId, params.documentId, userId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/documents/:documentId`,
      summary: 'Delete a document and its history (admins)',
      tags: ['knowledge'],
      auth: { workspaceRole: 'admin' },
      params: docParams,
      responses: { 204: { description: 'Deleted' }, ...problems },
      handler: async ({ workspace, params }) => {
        await requireKnowledge(knex, workspace!.id);
        await store.remove(workspace!.id, params.documentId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/documents/:documentId/history`,
      summary:
        'Every version of a document, newest first (who, which provider, which sections were human-edited)',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: docParams,
      responses: {
        200: {
          description: 'Versions',
          schema: z.object({
            items: z.array(
              z.object({
                version: z.number().int(),
                title: z.string(),
                change: z.enum(['created', 'generated', 'edited']),
                provider: z.string(),
                authorId: z.string().nullable(),
                createdAt: z.string(),
                bodyMd: z.string(),
                humanSections: z.array(z.string()),
              }),
            ),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace, params }) => {
        await requireKnowledge(knex, workspace!.id);
        return { status: 200, body: { items: await store.versions(workspace!.id, params.documentId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/documents/:documentId/views`,
      summary: 'Record that the caller viewed the document (the page calls it on open)',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: docParams,
      responses: {
        200: {
          description: 'Counted',
          schema: z.object({ total: z.number(), viewers: z.number(), mine: z.number() }),
        },
        ...problems,
      },
      handler: async ({ workspace, params, principal }) => {
        await requireKnowledge(knex, workspace!.id);
        const userId = principal?.userId ?? null;
        if (userId) await store.recordView(workspace!.id, params.documentId, userId);
        else await store.get(workspace!.id, params.documentId);
        return { status: 200, body: await viewTotals(knex, params.documentId, userId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/documents/:documentId/views`,
      summary: 'Who viewed the document, how often and when last',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: docParams,
      responses: {
        200: {
          description: 'Viewers',
          schema: z.object({
            items: z.array(
              z.object({
                userId: z.string(),
                email: z.string().nullable(),
                name: z.string().nullable(),
                count: z.number(),
                lastViewedAt: z.string(),
              }),
            ),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace, params }) => {
        await requireKnowledge(knex, workspace!.id);
        await store.get(workspace!.id, params.documentId);
        return { status: 200, body: { items: await store.views(params.documentId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/generate`,
      summary: 'Build or update documents from calls, email replies and text (members)',
      description:
        "Objections with the answers that worked → the objection handler; competitor mentions → that competitor's battle card (a listed competitor at once, any other name once it appears in two sources); questions → the FAQ; talk tracks → the playbook. Sections a human edited keep their text.",
      tags: ['knowledge'],
      auth: { workspaceRole: 'member' },
      params: workspaceParams,
      body: generateBody,
      responses: {
        200: {
          description: 'What changed',
          schema: z.object({
            provider: z.enum(['local', 'openai-compatible']),
            documents: z.array(
              z.object({
                id: z.string(),
                kind: kindSchema,
                title: z.string(),
                competitor: z.string().nullable(),
                version: z.number().int(),
                created: z.boolean(),
                updatedSections: z.array(z.string()),
                keptHumanSections: z.array(z.string()),
              }),
            ),
            found: z.object({
              objections: z.number(),
              competitorMentions: z.number(),
              questions: z.number(),
              talkTracks: z.number(),
            }),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace, body, principal }) => {
        await requireKnowledge(knex, workspace!.id);
        const result = await generateKnowledge({ knex, ai: aiService(), env: process.env }, workspace!.id, {
          ...body,
          idempotencyKey: `knowledge:${uuidv7()}`,
          userId: principal?.userId ?? null,
        });
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/settings`,
      summary: 'The competitor list generation looks for',
      tags: ['knowledge'],
      auth: { workspaceRole: 'viewer' },
      params: workspaceParams,
      responses: {
        200: { description: 'Settings', schema: z.object({ competitors: z.array(z.string()) }) },
        ...problems,
      },
      handler: async ({ workspace }) => {
        await requireKnowledge(knex, workspace!.id);
        return { status: 200, body: { competitors: await store.competitors(workspace!.id) } };
      },
    }),
    defineRoute({
      method: 'put',
      path: `${base}/settings`,
      summary: 'Set the competitor list (admins)',
      tags: ['knowledge'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: z.object({ competitors: z.array(competitor).max(200) }),
      responses: {
        200: { description: 'Saved', schema: z.object({ competitors: z.array(z.string()) }) },
        ...problems,
      },
      handler: async ({ workspace, body, principal }) => {
        await requireKnowledge(knex, workspace!.id);
        const unique = [...new Map(body.competitors.map((c) => [c.toLowerCase(), c])).values()];
        return {
          status: 200,
          body: { competitors: await store.setCompetitors(workspace!.id, unique, principal?.userId ?? null) },
        };
      },
    }),
  ];
}
