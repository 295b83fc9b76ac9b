import type { AiJsonSchema, AiProviderId, AiService } from '../../nodes/ai/service.js';
import type { VoiceExtractOptions } from '../../nodes/voice/service.js';
import { dueDateOf } from './due.js';
import type { ExtractedItem, ExtractedNote, Extraction, Priority } from './extract-local.js';
import type { Directory } from './owners.js';
import { clock, type Segment } from './parse.js';

/**
 * Extraction with an OpenAI-compatible model through the AI service's `extract` (validated JSON,
 * metered): the model reads the transcript as "[mm:ss] Speaker: text" lines in chunks and names
 * owners and deadlines in words; owners are then resolved and dates computed exactly as the
 * local extractor does, so both providers give the same shape.
 */

const CHUNK_CHARS = 60_000;

const note = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    quote: { type: 'string', description: 'The exact words from the transcript' },
  },
  required: ['text', 'quote'],
};

const schema: AiJsonSchema = {
  type: 'object',
  properties: {
    actionItems: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          text: { type: 'string', description: 'The task, starting with a verb' },
          owner: { type: 'string', description: 'Who will do it (a name or speaker label); empty if nobody' },
          due: { type: 'string', description: 'The deadline as said ("by Friday"), or empty' },
          priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
          quote: { type: 'string', description: 'The exact sentence from the transcript' },
        },
        required: ['text', 'owner', 'due', 'priority', 'quote'],
      },
    },
    decisions: { type: 'array', items: note },
    questions: { type: 'array', items: note },
  },
  required: ['actionItems', 'decisions', 'questions'],
};

const instructions =
  'This is a sales or team call transcript. List every action item someone committed to or was asked to do ' +
  '(not small talk, not things already done), the decisions made, and the open follow-up questions. ' +
  'Owner: the speaker for "I will", the named person for "Maria will". Quote the transcript exactly.';

const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

function locate(quote: string, segments: readonly Segment[]): Segment | undefined {
  const q = norm(quote);
  if (!q) return undefined;
  return (
    segments.find((s) => norm(s.text).includes(q)) ??
    segments.find((s) => q.includes(norm(s.text)) && s.text.length > 20)
  );
}

function chunks(segments: readonly Segment[]): Segment[][] {
  const out: Segment[][] = [[]];
  let size = 0;
  for (const segment of segments) {
    const line = segment.text.length + segment.speaker.length + 12;
    if (size + line > CHUNK_CHARS && out.at(-1)!.length > 0) {
      out.push([]);
      size = 0;
    }
    out.at(-1)!.push(segment);
    size += line;
  }
  return out;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

export async function extractWithModel(
  ai: AiService,
  workspaceId: string,
  segments: readonly Segment[],
  context: { startedAt: Date; directory: Directory },
  options: VoiceExtractOptions,
): Promise<{ extraction: Extraction; provider: AiProviderId; model: string }> {
  const extraction: Extraction = { actionItems: [], decisions: [], questions: [] };
  let provider: AiProviderId = 'openai-compatible';
  let model = '';
  const parts = chunks(segments);
  for (let index = 0; index < parts.length; index += 1) {
    const text = parts[index]!.map((s) => `[${clock(s.startMs)}] ${s.speaker || 'Unknown'}: ${s.text}`).join(
      '\n',
    );
    const result = await ai.extract(
      workspaceId,
      { text, schema, instructions },
      {
        idempotencyKey: options.idempotencyKey,
        callIndex: index,
        provider: 'openai-compatible',
        ...(options.model ? { model: options.model } : {}),
        ...(options.credentialId ? { credentialId: options.credentialId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    provider = result.provider;
    model = result.model;
    const data = (result.data ?? {}) as Record<string, unknown>;
    const list = (key: string): Array<Record<string, unknown>> =>
      Array.isArray(data[key])
        ? (data[key] as unknown[]).filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
        : [];
    for (const raw of list('actionItems')) {
      const quote = str(raw.quote) || str(raw.text);
      const at = locate(quote, parts[index]!);
      const ownerLabel = str(raw.owner).trim();
      const owner = ownerLabel ? context.directory.resolve(ownerLabel) : undefined;
      const due = dueDateOf(str(raw.due) || quote, context.startedAt);
      const priority = (['low', 'normal', 'high', 'urgent'] as const).includes(raw.priority as Priority)
        ? (raw.priority as Priority)
        : 'normal';
      const item: ExtractedItem = {
        text: (str(raw.text) || quote).slice(0, 500),
        owner: owner ?? null,
        ...(owner
          ? {}
          : {
              ownerReason: ownerLabel
                ? `“${ownerLabel}” is neither a member of this workspace nor a participant of the call`
                : 'the model named no owner',
              ...(ownerLabel ? { ownerHint: ownerLabel } : {}),
            }),
        dueDate: due?.date ?? null,
        dueText: due?.text ?? null,
        priority,
        quote: quote.slice(0, 4_000),
        speaker: at?.speaker ?? '',
        startMs: at?.startMs ?? 0,
      };
      extraction.actionItems.push(item);
    }
    const notes = (key: string): ExtractedNote[] =>
      list(key).map((raw) => {
        const quote = str(raw.quote) || str(raw.text);
        const at = locate(quote, parts[index]!);
        return { text: str(raw.text) || quote, quote, speaker: at?.speaker ?? '', startMs: at?.startMs ?? 0 };
      });
    extraction.decisions.push(...notes('decisions'));
    extraction.questions.push(...notes('questions'));
  }
  return { extraction, provider, model };
}
