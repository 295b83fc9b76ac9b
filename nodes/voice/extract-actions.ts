import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { defineNode } from '../../engine/node.js';
import { credentialRef } from '../credentials/service.js';
import { required } from '../services.js';
import './service.js';

export const voiceExtractConfigSchema = z.object({
  callId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The call, e.g. {{ input.callId }} (default: the input’s callId)'),
  provider: z
    .enum(['default', 'local', 'openai-compatible'])
    .default('default')
    .describe('default: the workspace AI setting; local: offline rules'),
  model: z.string().trim().min(1).max(200).optional(),
  credentialId: credentialRef(
    ['openaiCompatible'],
    'An OpenAI-compatible endpoint; default: the workspace one',
  ).optional(),
  review: z
    .boolean()
    .default(true)
    .describe(
      'On: items wait on the Calls page to be accepted, edited or dropped. Off: every item becomes a task now',
    ),
});

export const voiceExtractActionsNode = defineNode({
  type: 'voice.extractActions',
  family: 'ai',
  title: 'Extract action items',
  description:
    'Finds the action items (owner, due date, priority, quote), decisions and open questions of a call.',
  docs: [
    'Owners come from the speaker ("I\'ll send…") or a named person ("Maria will…"), resolved to a member or participant; otherwise the item is unassigned with a reason.',
    'Due dates are read relative to the call’s start ("by Friday", "next week", "end of month").',
    'With review off, one task per item is created, once per call and item however often the step runs.',
    'The output: { callId, provider, model, actionItems, decisions, questions, tasks }.',
  ].join('\n\n'),
  icon: 'list-checks',
  sideEffects: true,
  config: voiceExtractConfigSchema,
  run: async (ctx, input) => {
    const voice = required(ctx.services.voice, 'Voice-to-Action');
    const { provider, model, credentialId, review } = ctx.config;
    const fromInput = input && typeof input === 'object' && !Array.isArray(input) ? input.callId : undefined;
    const callId = ctx.config.callId ?? (typeof fromInput === 'string' ? fromInput : '');
    if (!z.uuid().safeParse(callId).success)
      throw new StepFailure(`callId "${callId.slice(0, 80)}" is not a call id`, 'invalid_config', 'callId');
    const result = await voice.extract(ctx.run.workspaceId, callId, {
      idempotencyKey: ctx.idempotencyKey,
      signal: ctx.signal,
      ...(provider !== 'default' ? { provider } : {}),
      ...(model ? { model } : {}),
      ...(credentialId ? { credentialId } : {}),
    });
    const tasks = review
      ? []
      : (await voice.createTasks(ctx.run.workspaceId, callId, { which: 'all', runId: ctx.run.id })).tasks;
    return { ...result, tasks };
  },
});
