import type { Knex } from 'knex';
import { DomainError, invalidInput, notFoundError } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import type { AiProviderId, AiService } from '../../nodes/ai/service.js';
import type { WorkItemsService } from '../../nodes/services.js';
import type { VoiceExtractOptions, VoiceExtractResult, VoiceService } from '../../nodes/voice/service.js';
import { aiConfigFromEnv } from '../ai/config.js';
import { AiSettingsStore } from '../ai/settings.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { getPlan } from '../billing/plans.js';
import { platformEvents } from '../events/platform.js';
import { extractWithModel } from './extract-model.js';
import { extractLocal, type Extraction } from './extract-local.js';
import { Directory, type Participant } from './owners.js';
import { clock, parseTranscript, type Segment, type TranscriptFormat } from './parse.js';
import { CallStore, type Call, type CallItem } from './store.js';

/** Whether the workspace's plan includes Voice-to-Action (Enterprise). */
export async function voiceEnabled(knex: Knex, workspaceId: string): Promise<boolean> {
  const account = await billingFor(knex).accounts.get(workspaceId);
  return getPlan(effectivePlan(account)).features.includes('voice_to_action');
}

export async function requireVoice(knex: Knex, workspaceId: string): Promise<void> {
  if (await voiceEnabled(knex, workspaceId)) return;
  throw new DomainError(
    'quota',
    'feature_gated',
    'Voice-to-Action is part of the Enterprise plan; upgrade to turn calls into tasks',
    undefined,
    { feature: 'voice_to_action', requiredPlan: 'enterprise' },
  );
}

export interface NewCall {
  title: string;
  startedAt: Date;
  participants: Participant[];
  leadId: string | null;
  createdBy: string | null;
}

export interface VoiceDeps {
  knex: Knex;
  ai: AiService | undefined;
  workItems: WorkItemsService | undefined;
  env: NodeJS.ProcessEnv;
}

/** Everything the voice feature does, for routes and nodes alike. */
export class Voice implements VoiceService {
  readonly store: CallStore;

  constructor(private readonly deps: VoiceDeps) {
    this.store = new CallStore(deps.knex);
  }

  /** Store a call from a transcript's text (format given or detected), or from parsed segments. */
  async ingest(
    workspaceId: string,
    call: NewCall,
    transcript:
      { text: string; format: TranscriptFormat | 'auto' } | { segments: Segment[]; format: 'audio' },
  ): Promise<Call> {
    const parsed =
      'text' in transcript
        ? parseTranscript(transcript.text, transcript.format)
        : { format: transcript.format, segments: transcript.segments };
    if (call.leadId && !(await this.store.leadOf(workspaceId, call.leadId)))
      throw invalidInput('leadId', 'This workspace has no such lead');
    const participants = await this.withLead(workspaceId, call);
    const stored = await this.store.create(
      workspaceId,
      { ...call, participants, sourceFormat: parsed.format },
      parsed.segments,
    );
    if (stored.leadId) {
      // The lead's timeline and the salesboard read outbound_events (calls contract).
      await this.deps
        .knex('outbound_events')
        .insert({
          workspace_id: workspaceId,
          lead_id: stored.leadId,
          kind: 'call',
          dedup_key: `call:${stored.id}`,
          data: JSON.stringify({ callId: stored.id, title: stored.title }),
          occurred_at: call.startedAt,
        })
        .onConflict(['workspace_id', 'dedup_key'])
        .ignore();
    }
    await platformEvents(this.deps.knex).emit({
      workspaceId,
      eventId: `call.transcribed:${stored.id}`,
      name: 'call.transcribed',
      data: {
        callId: stored.id,
        title: stored.title,
        leadId: stored.leadId,
        segmentCount: parsed.segments.length,
      },
    });
    return stored;
  }

  /** A call's lead joins its participants (as a contact owners can be resolved to). */
  private async withLead(workspaceId: string, call: NewCall): Promise<Participant[]> {
    if (!call.leadId || call.participants.some((p) => p.leadId === call.leadId)) return call.participants;
    const lead = await this.store.leadOf(workspaceId, call.leadId);
    if (!lead) return call.participants;
    return [...call.participants, { name: lead.name ?? lead.email, email: lead.email, leadId: lead.id }];
  }

  private async allSegments(workspaceId: string, callId: string): Promise<Segment[]> {
    const out: Segment[] = [];
    for (let offset = 0; ; offset += 5_000) {
      const page = await this.store.segments(workspaceId, callId, { offset, limit: 5_000 });
      out.push(...page);
      if (page.length < 5_000) return out;
    }
  }

  /** Which provider extraction uses: as the AI service picks it (node, workspace, deployment). */
  private async providerFor(workspaceId: string, wanted: AiProviderId | undefined): Promise<AiProviderId> {
    if (wanted) return wanted;
    const saved = await new AiSettingsStore(this.deps.knex).get(workspaceId);
    if (saved) return saved.provider;
    return aiConfigFromEnv(this.deps.env).endpoint ? 'openai-compatible' : 'local';
  }

  async extract(
    workspaceId: string,
    callId: string,
    options: VoiceExtractOptions,
  ): Promise<VoiceExtractResult> {
    const call = await this.store.get(workspaceId, callId);
    if (!call) throw notFoundError('The call');
    const segments = await this.allSegments(workspaceId, callId);
    const directory = new Directory(call.participants, await this.store.members(workspaceId));
    const context = { startedAt: new Date(call.startedAt), directory };
    const providerId = await this.providerFor(workspaceId, options.provider);
    let extraction: Extraction;
    let provider: AiProviderId = 'local';
    let model = 'revflow-voice-rules';
    if (providerId === 'openai-compatible') {
      if (!this.deps.ai)
        throw new DomainError('unavailable', 'ai_not_configured', 'This process has no AI service');
      const result = await extractWithModel(this.deps.ai, workspaceId, segments, context, options);
      extraction = result.extraction;
      provider = result.provider;
      model = result.model;
    } else {
      extraction = extractLocal(segments, context);
    }
    const items = await this.store.replaceItems(workspaceId, callId, extraction, provider);
    await platformEvents(this.deps.knex).emit({
      workspaceId,
      // One event per extraction request (a retried step repeats its key and emits nothing new).
      eventId: `call.actions_extracted:${callId}:${options.idempotencyKey}`.slice(0, 300),
      name: 'call.actions_extracted',
      data: {
        callId,
        provider,
        actionItems: items.filter((i) => i.kind === 'action').length,
        decisions: items.filter((i) => i.kind === 'decision').length,
        questions: items.filter((i) => i.kind === 'question').length,
      },
    });
    const of = (kind: CallItem['kind']): Json[] =>
      items.filter((i) => i.kind === kind).map((i) => i as unknown as Json);
    return {
      callId,
      provider,
      model,
      actionItems: of('action'),
      decisions: of('decision'),
      questions: of('question'),
    };
  }

  async createTasks(
    workspaceId: string,
    callId: string,
    options: { which: 'accepted' | 'all'; runId?: string },
  ): Promise<{ tasks: Json[]; created: number }> {
    const call = await this.store.get(workspaceId, callId);
    if (!call) throw notFoundError('The call');
    const workItems = this.deps.workItems;
    if (!workItems)
      throw new DomainError('unavailable', 'work_items_unavailable', 'This process has no task list');
    // Under the call's lock: an extraction running at the same time (upload and workflow) waits.
    return this.store.locked(workspaceId, callId, async (store) => {
      const items = (await store.items(workspaceId, callId)).filter(
        (item) =>
          item.kind === 'action' &&
          (item.status === 'accepted' ||
            item.status === 'created' ||
            (options.which === 'all' && item.status === 'proposed')),
      );
      const tasks: Json[] = [];
      let created = 0;
      for (const item of items) {
        const result = await workItems.create(
          'task',
          workspaceId,
          {
            title: item.text.slice(0, 500),
            description:
              `From the call “${call.title}” at ${clock(item.startMs)}${item.speaker ? `, ${item.speaker}` : ''}: “${item.quote}”`.slice(
                0,
                20_000,
              ),
            priority: item.priority,
            ...(item.owner ? { assignee: (item.owner.email ?? item.owner.name).slice(0, 320) } : {}),
            ...(item.dueDate ? { dueAt: `${item.dueDate}T00:00:00.000Z` } : {}),
            data: { callId, itemId: item.id, startMs: item.startMs, owner: item.owner ?? null },
          },
          // Once per call and item: a second review, a retried step or a double click adds none.
          { key: `voice:${callId}:${item.id}`, ...(options.runId ? { runId: options.runId } : {}) },
        );
        if (result.created) created += 1;
        if (item.taskId !== result.item.id || item.status !== 'created')
          await store.updateItem(workspaceId, item.id, { status: 'created', task_id: result.item.id });
        tasks.push(result.item as unknown as Json);
      }
      await store.setStatus(workspaceId, callId, 'reviewed');
      return { tasks, created };
    });
  }
}
