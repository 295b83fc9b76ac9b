import type { Knex } from 'knex';
import { uuidv7 } from '../db/ids.js';
import type { Extraction, ExtractedItem, ExtractedNote, Priority } from './extract-local.js';
import type { Member, Participant } from './owners.js';
import type { Segment, TranscriptFormat } from './parse.js';

/** Calls, their segments (the contract Knowledge reads) and their extracted items, per workspace. */

export type CallStatus = 'transcribed' | 'extracted' | 'reviewed';
export type ItemStatus = 'proposed' | 'accepted' | 'dropped' | 'created';
export type ItemKind = 'action' | 'decision' | 'question';

export interface Call {
  id: string;
  title: string;
  startedAt: string;
  durationSeconds: number;
  participants: Participant[];
  leadId: string | null;
  sourceFormat: TranscriptFormat | 'audio';
  status: CallStatus;
  createdBy: string | null;
  createdAt: string;
  segmentCount?: number;
  speakers?: string[];
}

export interface CallItem {
  id: string;
  callId: string;
  position: number;
  kind: ItemKind;
  text: string;
  owner: { name: string; email?: string; userId?: string; leadId?: string } | null;
  ownerReason: string | null;
  dueDate: string | null;
  dueText: string | null;
  priority: Priority;
  quote: string;
  speaker: string;
  startMs: number;
  provider: string;
  status: ItemStatus;
  edited: boolean;
  taskId: string | null;
}

interface CallRow {
  id: string;
  workspace_id: string;
  title: string;
  started_at: Date;
  duration_seconds: number;
  participants: Participant[];
  lead_id: string | null;
  source_format: Call['sourceFormat'];
  status: CallStatus;
  created_by: string | null;
  created_at: Date;
  segment_count?: string | number;
}

interface ItemRow {
  id: string;
  call_id: string;
  position: number;
  kind: ItemKind;
  text: string;
  owner_name: string | null;
  owner_email: string | null;
  owner_user_id: string | null;
  owner_lead_id: string | null;
  owner_reason: string | null;
  due_at: Date | null;
  due_text: string | null;
  priority: Priority;
  quote: string;
  speaker: string;
  start_ms: number;
  provider: string;
  status: ItemStatus;
  edited: boolean;
  task_id: string | null;
}

function presentCall(row: CallRow): Call {
  return {
    id: row.id,
    title: row.title,
    startedAt: new Date(row.started_at).toISOString(),
    durationSeconds: row.duration_seconds,
    participants: row.participants,
    leadId: row.lead_id,
    sourceFormat: row.source_format,
    status: row.status,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.segment_count !== undefined ? { segmentCount: Number(row.segment_count) } : {}),
  };
}

export function presentItem(row: ItemRow): CallItem {
  return {
    id: row.id,
    callId: row.call_id,
    position: row.position,
    kind: row.kind,
    text: row.text,
    owner: row.owner_name
      ? {
          name: row.owner_name,
          ...(row.owner_email ? { email: row.owner_email } : {}),
          ...(row.owner_user_id ? { userId: row.owner_user_id } : {}),
          ...(row.owner_lead_id ? { leadId: row.owner_lead_id } : {}),
        }
      : null,
    ownerReason: row.owner_reason,
    dueDate: row.due_at ? new Date(row.due_at).toISOString().slice(0, 10) : null,
    dueText: row.due_text,
    priority: row.priority,
    quote: row.quote,
    speaker: row.speaker,
    startMs: row.start_ms,
    provider: row.provider,
    status: row.status,
    edited: row.edited,
    taskId: row.task_id,
  };
}

const SEGMENT_BATCH = 1_000;

export class CallStore {
  constructor(private readonly knex: Knex) {}

  /** Run `work` with the call's row locked: extraction and task creation of one call never interleave. */
  async locked<T>(workspaceId: string, callId: string, work: (store: CallStore) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      await trx('calls').where({ workspace_id: workspaceId, id: callId }).forUpdate().first('id');
      return work(new CallStore(trx));
    });
  }

  async create(
    workspaceId: string,
    call: {
      title: string;
      startedAt: Date;
      participants: Participant[];
      leadId: string | null;
      sourceFormat: Call['sourceFormat'];
      createdBy: string | null;
    },
    segments: Segment[],
  ): Promise<Call> {
    const last = segments.at(-1);
    const durationSeconds = last ? Math.ceil((last.endMs ?? last.startMs) / 1000) : 0;
    const id = uuidv7();
    await this.knex.transaction(async (trx) => {
      await trx('calls').insert({
        id,
        workspace_id: workspaceId,
        title: call.title,
        started_at: call.startedAt,
        duration_seconds: durationSeconds,
        participants: JSON.stringify(call.participants),
        lead_id: call.leadId,
        source_format: call.sourceFormat,
        status: 'transcribed',
        created_by: call.createdBy,
      });
      // Batches: a 4-hour call has thousands of segments, more than one insert's parameters.
      for (let i = 0; i < segments.length; i += SEGMENT_BATCH) {
        await trx('call_segments').insert(
          segments.slice(i, i + SEGMENT_BATCH).map((segment, j) => ({
            call_id: id,
            position: i + j,
            speaker: segment.speaker,
            start_ms: segment.startMs,
            end_ms: segment.endMs,
            text: segment.text,
          })),
        );
      }
    });
    return (await this.get(workspaceId, id))!;
  }

  async get(workspaceId: string, id: string): Promise<Call | undefined> {
    const row = await this.knex<CallRow>('calls').where({ workspace_id: workspaceId, id }).first();
    if (!row) return undefined;
    const speakers = await this.knex('call_segments')
      .where({ call_id: id })
      .distinct('speaker')
      .pluck('speaker');
    return { ...presentCall(row), speakers: (speakers as string[]).filter(Boolean) };
  }

  async list(workspaceId: string, options: { limit: number; before?: string }): Promise<Call[]> {
    const query = this.knex<CallRow>('calls')
      .where({ workspace_id: workspaceId })
      .select('calls.*')
      .select(
        this.knex.raw('(SELECT count(*) FROM call_segments s WHERE s.call_id = calls.id) AS segment_count'),
      );
    if (options.before) void query.andWhere('id', '<', options.before);
    const rows = (await query
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit)) as CallRow[];
    return rows.map(presentCall);
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    return (await this.knex('calls').where({ workspace_id: workspaceId, id }).delete()) > 0;
  }

  async segments(
    workspaceId: string,
    id: string,
    page: { offset: number; limit: number },
  ): Promise<Segment[]> {
    const rows: Array<{ speaker: string; start_ms: number; end_ms: number | null; text: string }> =
      await this.knex('call_segments as s')
        .join('calls as c', 'c.id', 's.call_id')
        .where({ 'c.workspace_id': workspaceId, 's.call_id': id })
        .orderBy('s.position')
        .offset(page.offset)
        .limit(page.limit)
        .select('s.speaker', 's.start_ms', 's.end_ms', 's.text');
    return rows.map((r) => ({ speaker: r.speaker, startMs: r.start_ms, endMs: r.end_ms, text: r.text }));
  }

  async setStatus(workspaceId: string, id: string, status: CallStatus): Promise<void> {
    await this.knex('calls').where({ workspace_id: workspaceId, id }).update({ status });
  }

  /** The workspace's members as owner candidates. */
  async members(workspaceId: string): Promise<Member[]> {
    const members: Member[] = await this.knex('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.workspace_id', workspaceId)
      .select('u.id as userId', 'u.name', 'u.email');
    return members;
  }

  async leadOf(
    workspaceId: string,
    leadId: string,
  ): Promise<{ id: string; name: string | null; email: string } | undefined> {
    const lead: { id: string; name: string | null; email: string } | undefined = await this.knex(
      'outbound_leads',
    )
      .where({ workspace_id: workspaceId, id: leadId })
      .first('id', 'name', 'email');
    return lead;
  }

  /** Replace the proposed items of a call with a fresh extraction; reviewed ones stay as they are. */
  async replaceItems(
    workspaceId: string,
    callId: string,
    extraction: Extraction,
    provider: string,
  ): Promise<CallItem[]> {
    await this.knex.transaction(async (trx) => {
      // One extraction of a call at a time (the upload's and a workflow's may race).
      await trx('calls').where({ workspace_id: workspaceId, id: callId }).forUpdate().first('id');
      const kept = (await trx('call_items')
        .where({ workspace_id: workspaceId, call_id: callId })
        .whereNot({ status: 'proposed' })
        .max('position as max')
        .first()) as { max: number | null } | undefined;
      await trx('call_items')
        .where({ workspace_id: workspaceId, call_id: callId, status: 'proposed' })
        .delete();
      let position = (kept?.max ?? -1) + 1;
      const keptQuotes = new Set(
        (await trx('call_items')
          .where({ workspace_id: workspaceId, call_id: callId })
          .pluck('quote')) as string[],
      );
      const rows: Record<string, unknown>[] = [];
      const note = (kind: ItemKind, n: ExtractedNote): void => {
        if (keptQuotes.has(n.quote)) return;
        rows.push({ ...base(kind, n), owner_name: null });
      };
      const base = (kind: ItemKind, n: ExtractedNote | ExtractedItem) => ({
        id: uuidv7(),
        workspace_id: workspaceId,
        call_id: callId,
        position: position++,
        kind,
        text: n.text.slice(0, 2_000),
        quote: n.quote.slice(0, 4_000),
        speaker: n.speaker,
        start_ms: n.startMs,
        provider,
      });
      for (const item of extraction.actionItems) {
        if (keptQuotes.has(item.quote)) continue;
        rows.push({
          ...base('action', item),
          owner_name: item.owner?.name ?? null,
          owner_email: item.owner?.email ?? null,
          owner_user_id: item.owner?.userId ?? null,
          owner_lead_id: item.owner?.leadId ?? null,
          owner_reason: item.owner ? null : (item.ownerReason ?? 'no owner was named'),
          due_at: item.dueDate ? new Date(`${item.dueDate}T00:00:00Z`) : null,
          due_text: item.dueText,
          priority: item.priority,
        });
      }
      for (const decision of extraction.decisions) note('decision', decision);
      for (const question of extraction.questions) note('question', question);
      for (let i = 0; i < rows.length; i += 500) await trx('call_items').insert(rows.slice(i, i + 500));
      await trx('calls').where({ workspace_id: workspaceId, id: callId }).update({ status: 'extracted' });
    });
    return this.items(workspaceId, callId);
  }

  async items(workspaceId: string, callId: string): Promise<CallItem[]> {
    const rows = (await this.knex('call_items')
      .where({ workspace_id: workspaceId, call_id: callId })
      .orderBy('position')) as ItemRow[];
    return rows.map(presentItem);
  }

  async item(workspaceId: string, callId: string, itemId: string): Promise<CallItem | undefined> {
    const row = (await this.knex('call_items')
      .where({ workspace_id: workspaceId, call_id: callId, id: itemId })
      .first()) as ItemRow | undefined;
    return row && presentItem(row);
  }

  async updateItem(workspaceId: string, itemId: string, patch: Record<string, unknown>): Promise<CallItem> {
    const [row] = (await this.knex('call_items')
      .where({ workspace_id: workspaceId, id: itemId })
      .update({ ...patch, updated_at: this.knex.fn.now() })
      .returning('*')) as ItemRow[];
    return presentItem(row!);
  }
}
