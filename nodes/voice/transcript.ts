import { z } from 'zod';
import { defineNode } from '../../engine/node.js';

/** The voice.transcript trigger's config; api/voice reads stored documents with it. */
export const voiceTranscriptConfigSchema = z.object({
  leadsOnly: z.boolean().default(false).describe('Only calls with a lead (sales calls)'),
  minDurationSeconds: z.number().int().min(0).max(86_400).optional().describe('Skip calls shorter than this'),
});

export const voiceTranscriptTrigger = defineNode({
  type: 'voice.transcript',
  family: 'trigger',
  title: 'Call transcribed',
  description: 'Starts the run when a call transcript is uploaded (Calls page, API, or audio transcribed).',
  docs: [
    'Upload a transcript on the Calls page or POST /api/v1/workspaces/<workspace>/calls (WebVTT, SRT, "Speaker: text" lines, JSON segments, or audio with a speech provider).',
    'The output is the call: { callId, title, startedAt, durationSeconds, leadId, participants, speakers, sourceFormat }.',
    'Each call starts a run once per workflow. Feed `{{ input.callId }}` to voice.extractActions.',
  ].join('\n\n'),
  icon: 'phone',
  config: voiceTranscriptConfigSchema,
  run: (_ctx, input) => input,
});
