import express from 'express';
import { z } from 'zod';
import { DomainError, invalidInput, notFoundError } from '../../engine/errors.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { ensureVoice, startVoiceTriggers } from './node-services.js';
import { clock } from './parse.js';
import { requireVoice, voiceEnabled, type NewCall } from './service.js';
import {
  isAudio,
  MAX_AUDIO_BYTES,
  parseMultipart,
  speechConfigFromEnv,
  textOfFile,
  transcribeAudio,
} from './upload.js';
import { callMetaSchema, itemPatchSchema, reviewPatch } from './views.js';

const base = '/api/v1/workspaces/:workspaceId/calls';
const problems = problemResponses(400, 401, 402, 403, 404, 413);
const callParams = z.object({ workspaceId: z.uuid(), callId: z.uuid() });
const itemParams = callParams.extend({ itemId: z.uuid() });

// Transcripts and audio arrive raw (multipart, text/*, audio/*); JSON goes through the app's parser.
const rawBody = express.raw({
  type: (req) => !/^application\/(?:.+\+)?json/i.test(req.headers['content-type'] ?? ''),
  limit: MAX_AUDIO_BYTES + 1024 * 1024,
});

function zodField(error: z.ZodError, prefix: string): DomainError {
  const issue = error.issues[0]!;
  return invalidInput([prefix, ...issue.path.map(String)].join('.'), issue.message);
}

/** The upload as one shape, whichever way it came: JSON, multipart/form-data or a raw text body. */
async function readUpload(
  req: express.Request,
  env: NodeJS.ProcessEnv,
): Promise<{
  meta: Record<string, unknown>;
  transcript: { text: string } | { audio: { data: Buffer; filename: string; contentType: string } };
}> {
  const type = req.headers['content-type'] ?? '';
  if (/^application\/(?:.+\+)?json/i.test(type)) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput('body', 'expected a JSON object');
    const { transcript, segments, ...meta } = body;
    if (segments !== undefined)
      return { meta: { format: 'json', ...meta }, transcript: { text: JSON.stringify(segments) } };
    if (typeof transcript !== 'string')
      throw invalidInput('body.transcript', 'the transcript text (or segments) is required');
    return { meta, transcript: { text: transcript } };
  }
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (/^multipart\/form-data/i.test(type)) {
    const parts = parseMultipart(body, type);
    const meta: Record<string, unknown> = {};
    let file: (typeof parts)[number] | undefined;
    for (const part of parts) {
      if (part.filename !== undefined || part.name === 'file') file = part;
      else if (part.name === 'participants') {
        try {
          meta.participants = JSON.parse(part.data.toString('utf8')) as unknown;
        } catch {
          throw invalidInput('body.participants', 'must be a JSON array of { name, email? }');
        }
      } else meta[part.name] = part.data.toString('utf8');
    }
    if (!file) throw invalidInput('body.file', 'attach the transcript or audio as the "file" field');
    if (isAudio(file)) {
      if (!speechConfigFromEnv(env))
        throw new DomainError(
          'invalid',
          'speech_not_configured',
          'Audio needs a speech provider: this deployment sets no REVFLOW_SPEECH_BASE_URL (an OpenAI-compatible /v1/audio/transcriptions endpoint). Upload a transcript (VTT, SRT, text, JSON) instead.',
          'file',
        );
      return {
        meta: { title: file.filename ?? 'Call', ...meta },
        transcript: {
          audio: {
            data: file.data,
            filename: file.filename ?? 'audio',
            contentType: file.contentType ?? 'application/octet-stream',
          },
        },
      };
    }
    if (file.data.length > 10 * 1024 * 1024)
      throw new DomainError(
        'too_large',
        'transcript_too_large',
        'A transcript file may hold at most 10 MB',
        'file',
      );
    return {
      meta: { title: (file.filename ?? 'Call').replace(/\.[a-z0-9]+$/i, ''), ...meta },
      transcript: { text: textOfFile(file.data, 'body.file') },
    };
  }
  if (isAudio({ contentType: type }))
    throw invalidInput('body', 'send audio as multipart/form-data with a "file" field');
  // text/vtt, text/plain, ...: metadata in the query string.
  if (body.length > 10 * 1024 * 1024)
    throw new DomainError('too_large', 'transcript_too_large', 'A transcript may hold at most 10 MB', 'body');
  return {
    meta: { ...(req.query as Record<string, unknown>) },
    transcript: { text: textOfFile(body, 'body') },
  };
}

/** Voice-to-Action's API: calls (upload, list, view, delete), extraction, review and tasks (Enterprise). */
export function voiceRoutes(ctx: ApiContext): AnyRoute[] {
  const { knex } = ctx;
  const voice = () => ensureVoice(knex, ctx.secrets);
  const env = process.env;
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/workspaces/:workspaceId/voice/status',
      summary: 'Whether the plan includes Voice-to-Action, and whether audio can be transcribed',
      tags: ['voice'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      responses: {
        200: {
          description: 'Status',
          schema: z.object({
            enabled: z.boolean(),
            plan: z.string(),
            requiredPlan: z.string(),
            speech: z.boolean(),
          }),
        },
        ...problems,
      },
      handler: async ({ workspace }) => {
        const account = await billingFor(knex).accounts.get(workspace!.id);
        return {
          status: 200,
          body: {
            enabled: await voiceEnabled(knex, workspace!.id),
            plan: effectivePlan(account),
            requiredPlan: 'enterprise',
            speech: speechConfigFromEnv(env) !== undefined,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: base,
      summary: 'List calls, newest first',
      tags: ['voice'],
      auth: { workspaceRole: 'viewer' },
      params: z.object({ workspaceId: z.uuid() }),
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.uuid().optional().describe('The last id of the previous page'),
      }),
      responses: {
        200: { description: 'Calls', schema: z.object({ items: z.array(z.unknown()) }) },
        ...problems,
      },
      handler: async ({ workspace, query }) => {
        await requireVoice(knex, workspace!.id);
        return { status: 200, body: { items: await (await voice()).store.list(workspace!.id, query) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: base,
      summary: 'Upload a call: a transcript (WebVTT, SRT, "Speaker: text" lines, JSON segments) or audio',
      description:
        'As JSON `{ title, startedAt?, participants?, leadId?, format?, transcript | segments, extract? }`, as ' +
        'multipart/form-data (the same fields, the transcript or audio as `file`), or as a raw text body ' +
        '(text/vtt, text/plain; fields in the query string). `format` is auto (default), vtt, srt, lines or json. ' +
        'A malformed file is a 400 naming the line. Audio needs a speech provider (REVFLOW_SPEECH_BASE_URL). ' +
        'Unless `extract` is false, action items are extracted at once (local provider or the configured model).',
      tags: ['voice'],
      auth: { workspaceRole: 'member' },
      params: z.object({ workspaceId: z.uuid() }),
      middleware: [rawBody],
      responses: { 201: { description: 'The call, with its items', schema: z.unknown() }, ...problems },
      handler: async ({ req, workspace, principal }) => {
        await requireVoice(knex, workspace!.id);
        const upload = await readUpload(req, env);
        const meta = callMetaSchema.safeParse(upload.meta);
        if (!meta.success) throw zodField(meta.error, 'body');
        const call: NewCall = {
          title: meta.data.title,
          startedAt: meta.data.startedAt ?? new Date(),
          participants: meta.data.participants,
          leadId: meta.data.leadId ?? null,
          createdBy: principal?.userId ?? null,
        };
        const stored =
          'audio' in upload.transcript
            ? await (
                await voice()
              ).ingest(workspace!.id, call, {
                format: 'audio',
                segments: await transcribeAudio(speechConfigFromEnv(env)!, upload.transcript.audio),
              })
            : await (
                await voice()
              ).ingest(workspace!.id, call, { text: upload.transcript.text, format: meta.data.format });
        await startVoiceTriggers(ctx, workspace!.id, stored);
        const extraction = meta.data.extract
          ? await (await voice()).extract(workspace!.id, stored.id, { idempotencyKey: `upload:${stored.id}` })
          : undefined;
        const fresh = await (await voice()).store.get(workspace!.id, stored.id);
        return {
          status: 201,
          body: {
            ...fresh,
            provider: extraction?.provider ?? null,
            items: await (await voice()).store.items(workspace!.id, stored.id),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:callId`,
      summary: 'A call with its extracted items (action items, decisions, questions)',
      tags: ['voice'],
      auth: { workspaceRole: 'viewer' },
      params: callParams,
      responses: { 200: { description: 'The call', schema: z.unknown() }, ...problems },
      handler: async ({ workspace, params }) => {
        await requireVoice(knex, workspace!.id);
        const call = await (await voice()).store.get(workspace!.id, params.callId);
        if (!call) throw notFoundError('The call');
        return {
          status: 200,
          body: { ...call, items: await (await voice()).store.items(workspace!.id, call.id) },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:callId/segments`,
      summary: 'The transcript: speakers, timestamps and text, in order (paged)',
      tags: ['voice'],
      auth: { workspaceRole: 'viewer' },
      params: callParams,
      query: z.object({
        offset: z.coerce.number().int().min(0).default(0),
        limit: z.coerce.number().int().min(1).max(5_000).default(1_000),
      }),
      responses: {
        200: { description: 'Segments', schema: z.object({ items: z.array(z.unknown()) }) },
        ...problems,
      },
      handler: async ({ workspace, params, query }) => {
        await requireVoice(knex, workspace!.id);
        if (!(await (await voice()).store.get(workspace!.id, params.callId))) throw notFoundError('The call');
        const items = await (await voice()).store.segments(workspace!.id, params.callId, query);
        return { status: 200, body: { items: items.map((s) => ({ ...s, at: clock(s.startMs) })) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/:callId`,
      summary: 'Delete a call, its transcript and its items (admins); tasks made from it stay',
      tags: ['voice'],
      auth: { workspaceRole: 'admin' },
      params: callParams,
      responses: { 204: { description: 'Deleted' }, ...problems },
      handler: async ({ workspace, params }) => {
        await requireVoice(knex, workspace!.id);
        if (!(await (await voice()).store.remove(workspace!.id, params.callId)))
          throw notFoundError('The call');
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:callId/extract`,
      summary: 'Extract action items, decisions and questions again (reviewed items are kept)',
      tags: ['voice'],
      auth: { workspaceRole: 'member' },
      params: callParams,
      body: z.object({
        provider: z
          .enum(['local', 'openai-compatible'])
          .optional()
          .describe('Default: the workspace AI setting'),
        model: z.string().min(1).max(200).optional(),
        credentialId: z.uuid().optional(),
      }),
      responses: {
        200: { description: 'What was found, and which provider found it', schema: z.unknown() },
        ...problems,
      },
      handler: async ({ workspace, params, body }) => {
        await requireVoice(knex, workspace!.id);
        const result = await (
          await voice()
        ).extract(workspace!.id, params.callId, {
          ...body,
          idempotencyKey: `extract:${params.callId}:${Date.now()}`,
        });
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/:callId/items/:itemId`,
      summary: 'Review one item: accept, drop or reopen it, edit its text, date or priority, reassign it',
      tags: ['voice'],
      auth: { workspaceRole: 'member' },
      params: itemParams,
      body: itemPatchSchema,
      responses: { 200: { description: 'The item', schema: z.unknown() }, ...problems },
      handler: async ({ workspace, params, body }) => {
        await requireVoice(knex, workspace!.id);
        const item = await (await voice()).store.item(workspace!.id, params.callId, params.itemId);
        if (!item) throw notFoundError('The item');
        const patch = await reviewPatch((await voice()).store, workspace!.id, item, body);
        if (Object.keys(patch).length === 0) return { status: 200, body: item };
        return { status: 200, body: await (await voice()).store.updateItem(workspace!.id, item.id, patch) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:callId/tasks`,
      summary: 'Create a task for every accepted action item (once per call and item)',
      tags: ['voice'],
      auth: { workspaceRole: 'member' },
      params: callParams,
      body: z.object({
        which: z.enum(['accepted', 'all']).default('accepted').describe('all: every item not dropped'),
      }),
      responses: {
        200: {
          description: 'The tasks',
          schema: z.object({ tasks: z.array(z.unknown()), created: z.number() }),
        },
        ...problems,
      },
      handler: async ({ workspace, params, body }) => {
        await requireVoice(knex, workspace!.id);
        return {
          status: 200,
          body: await (await voice()).createTasks(workspace!.id, params.callId, { which: body.which }),
        };
      },
    }),
  ];
}
