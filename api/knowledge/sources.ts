import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { DomainError, invalidInput } from '../../engine/errors.js';
import { isUuid } from '../db/ids.js';
import { turnsFromText, type Material, type Turn } from './extract.js';

/**
 * The conversations generation reads, as turns: Voice's calls (call_segments, read-only, per the
 * calls contract), email replies (outbound_events kind 'replied', read-only), pasted text and
 * text from a workflow run. Every read is joined with the caller's workspace; an id of another
 * workspace is "not found", naming the field.
 */

interface Participant {
  name?: string;
  email?: string;
  userId?: string;
  leadId?: string;
  speaker?: string;
}

const MAX_TURNS = 20_000;

function missingTable(error: unknown): boolean {
  return (error as { code?: unknown }).code === '42P01';
}

export async function callMaterials(
  knex: Knex,
  workspaceId: string,
  callIds: readonly string[],
): Promise<Material[]> {
  const out: Material[] = [];
  for (const [index, id] of callIds.entries()) {
    const field = `callIds.${index}`;
    if (!isUuid(id)) throw invalidInput(field, 'must be a call id (a UUID)');
    let call: { id: string; title: string; participants: Participant[] } | undefined;
    let segments: Array<{ speaker: string; start_ms: number; text: string }>;
    try {
      call = await knex('calls')
        .where({ workspace_id: workspaceId, id })
        .first<{ id: string; title: string; participants: Participant[] } | undefined>(
          'id',
          'title',
          'participants',
        );
      if (!call)
        throw new DomainError(
          'not_found',
          'not_found',
          `The call ${id} does not exist in this workspace`,
          field,
        );
      segments = await knex('call_segments')
        .join('calls', 'calls.id', 'call_segments.call_id')
        .where({ 'calls.workspace_id': workspaceId, 'call_segments.call_id': id })
        .orderBy('call_segments.position')
        .limit(MAX_TURNS)
        .select('call_segments.speaker', 'call_segments.start_ms', 'call_segments.text');
    } catch (error) {
      if (missingTable(error))
        throw new DomainError(
          'unavailable',
          'calls_unavailable',
          'Calls are not set up on this server',
          field,
        );
      throw error;
    }
    const sides = new Map<string, boolean>();
    for (const p of Array.isArray(call.participants) ? call.participants : []) {
      const side = p.userId ? true : p.leadId ? false : undefined;
      if (side === undefined) continue;
      for (const label of [p.speaker, p.name, p.email]) if (label) sides.set(label.toLowerCase(), side);
    }
    const turns: Turn[] = segments.map((s) => ({
      speaker: s.speaker,
      text: s.text,
      startMs: s.start_ms,
      ours: sides.get(s.speaker.toLowerCase()) ?? null,
    }));
    out.push({ type: 'call', ref: call.id, label: call.title, turns });
  }
  return out;
}

export async function emailMaterials(
  knex: Knex,
  workspaceId: string,
  emailIds: readonly string[],
): Promise<Material[]> {
  const out: Material[] = [];
  for (const [index, id] of emailIds.entries()) {
    const field = `emailIds.${index}`;
    if (!isUuid(id)) throw invalidInput(field, 'must be the id of an email reply (a UUID)');
    const row = await knex('outbound_events as e')
      .leftJoin('outbound_leads as l', 'l.id', 'e.lead_id')
      .leftJoin('outbound_sends as s', 's.id', 'e.send_id')
      .where({ 'e.workspace_id': workspaceId, 'e.id': id, 'e.kind': 'replied' })
      .first<
        | {
            id: string;
            data: { text?: unknown; subject?: unknown };
            name: string | null;
            email: string | null;
            subject: string | null;
          }
        | undefined
      >('e.id', 'e.data', 'l.name', 'l.email', 's.subject');
    if (!row)
      throw new DomainError(
        'not_found',
        'not_found',
        `The email reply ${id} does not exist in this workspace`,
        field,
      );
    const text = typeof row.data.text === 'string' ? row.data.text : '';
    const subject = typeof row.data.subject === 'string' ? row.data.subject : (row.subject ?? 'Email reply');
    const speaker = row.name ?? row.email ?? 'Prospect';
    // An email reply is the prospect's side; quoted history ("> ...") is left out.
    const body = text
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('>'))
      .join(' ');
    out.push({
      type: 'email',
      ref: row.id,
      label: `Email: ${subject}`,
      turns: [{ speaker, text: body, startMs: null, ours: false }],
    });
  }
  return out;
}

export function textMaterial(type: 'text' | 'run', title: string, text: string, ref?: string): Material {
  return {
    type,
    ref: ref ?? createHash('sha256').update(text).digest('hex').slice(0, 24),
    label: title,
    turns: turnsFromText(text),
  };
}

/** A call or email, for the document's source list: the first words it contributed. */
export function excerptOf(material: Material): string {
  return material.turns
    .slice(0, 3)
    .map((t) => (t.speaker ? `${t.speaker}: ${t.text}` : t.text))
    .join(' ')
    .slice(0, 300);
}

export function noSources(): DomainError {
  return invalidInput('callIds', 'Give at least one source: callIds, emailIds or texts');
}
