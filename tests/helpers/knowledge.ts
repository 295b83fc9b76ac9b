import type { Knex } from 'knex';
import { uuidv7 } from '../../api/db/ids.js';

/** A call as Voice stores it (calls + call_segments, the contract Knowledge reads). */
export async function insertCall(
  knex: Knex,
  workspaceId: string,
  title: string,
  lines: Array<[string, string]>,
  participants: Array<Record<string, string>> = [],
): Promise<string> {
  const id = uuidv7();
  await knex('calls').insert({
    id,
    workspace_id: workspaceId,
    title,
    started_at: new Date('2026-12-01T15:00:00Z'),
    duration_seconds: lines.length * 20,
    participants: JSON.stringify(participants),
    source_format: 'lines',
    status: 'transcribed',
  });
  await knex('call_segments').insert(
    lines.map(([speaker, text], position) => ({
      call_id: id,
      position,
      speaker,
      start_ms: position * 20_000,
      text,
    })),
  );
  return id;
}
