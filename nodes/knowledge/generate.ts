import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { StepFailure } from '../../engine/errors.js';
import { required } from '../services.js';
import type { KnowledgeGenerateResult } from './service.js';

const kinds = z.enum(['battle_card', 'playbook', 'objection_handler', 'faq']);

/** Call ids the input names: `callId`, `callIds`, or `call.id` (what a voice trigger or step passes on). */
function callIdsOf(input: Json): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  const record = input as Record<string, Json>;
  const ids: string[] = [];
  if (typeof record.callId === 'string') ids.push(record.callId);
  if (Array.isArray(record.callIds))
    ids.push(...record.callIds.filter((id): id is string => typeof id === 'string'));
  const call = record.call;
  if (call && typeof call === 'object' && !Array.isArray(call) && typeof call.id === 'string')
    ids.push(call.id);
  return [...new Set(ids)];
}

export const knowledgeGenerateNode = defineNode({
  type: 'knowledge.generate',
  family: 'ai',
  title: 'Knowledge: build documents',
  description:
    'Builds or updates battle cards, the objection handler, the FAQ and the playbook from calls, emails or text.',
  docs:
    'Sources: `callIds` (default: the callId / callIds / call.id of the input), `emailIds` (email replies) and `text` ' +
    '(linked as a source of this run). Objections with the answers that worked go to the objection handler, ' +
    "competitor mentions to that competitor's battle card, questions to the FAQ, talk tracks to the playbook. " +
    'Sections a person edited keep their text. Local provider: extractive; with an OpenAI-compatible model: written prose. Professional plan and above.',
  icon: 'book-open',
  sideEffects: true,
  // Generating twice from the same sources adds nothing: quotes are merged by source.
  onceByKey: true,
  timeoutMs: 300_000,
  config: z.object({
    callIds: z.array(z.string().max(100)).max(50).default([]),
    emailIds: z.array(z.string().max(100)).max(200).default([]),
    text: z.string().max(1_000_000).optional().describe('e.g. {{ input.body.transcript }}'),
    title: z.string().max(200).default('Workflow run').describe('How a text source is labelled'),
    kinds: z.array(kinds).max(4).optional(),
    provider: z.enum(['local', 'openai-compatible']).optional(),
  }),
  run: async (ctx, input) => {
    const knowledge = required(ctx.services.knowledge, 'knowledge');
    const callIds = ctx.config.callIds.length > 0 ? ctx.config.callIds : callIdsOf(input);
    const text = ctx.config.text?.trim();
    if (callIds.length === 0 && ctx.config.emailIds.length === 0 && !text)
      throw new StepFailure(
        'Give the node a source: callIds, emailIds or text (or an input with a callId)',
        'invalid',
        'callIds',
      );
    const result: KnowledgeGenerateResult = await knowledge.generate(ctx.run.workspaceId, {
      callIds,
      emailIds: ctx.config.emailIds,
      ...(text && { run: { runId: ctx.run.id, title: ctx.config.title, text } }),
      ...(ctx.config.kinds && { kinds: ctx.config.kinds }),
      ...(ctx.config.provider && { provider: ctx.config.provider }),
      idempotencyKey: ctx.idempotencyKey,
      userId: null,
    });
    return {
      provider: result.provider,
      found: { ...result.found },
      documents: result.documents.map((d) => ({
        ...d,
        updatedSections: [...d.updatedSections],
        keptHumanSections: [...d.keptHumanSections],
      })),
    };
  },
});
