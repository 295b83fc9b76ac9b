import { z } from 'zod';
import { invalidInput } from '../../engine/errors.js';
import type { CallItem, CallStore } from './store.js';

/** Request shapes of the voice routes, and how a review edit becomes a row update. */

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Multipart and query fields skip the JSON input guard: the same rules here.
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain the NUL character (\\u0000)')
    .refine((s) => !loneSurrogate.test(s), 'must be valid Unicode (no lone surrogates)');
const blankless = (value: unknown): unknown => (value === '' ? undefined : value);

export const participantSchema = z.object({
  name: text(200).pipe(z.string().min(1, 'a participant needs a name')),
  email: z.preprocess(blankless, z.email().max(320).optional()),
  userId: z.preprocess(blankless, z.uuid().optional()),
  leadId: z.preprocess(blankless, z.uuid().optional()),
  speaker: z.preprocess(blankless, text(200).optional()),
});

export const callMetaSchema = z.object({
  title: text(300).pipe(z.string().min(1, 'Enter a title')).default('Call'),
  startedAt: z.preprocess(
    blankless,
    z.iso
      .datetime({ offset: true })
      .transform((s) => new Date(s))
      .optional(),
  ),
  participants: z.array(participantSchema).max(100).default([]),
  leadId: z.preprocess(blankless, z.uuid().optional()),
  format: z.preprocess(blankless, z.enum(['auto', 'vtt', 'srt', 'lines', 'json']).default('auto')),
  extract: z.preprocess(
    (v) => (v === 'false' ? false : v === 'true' ? true : blankless(v)),
    z.boolean().default(true),
  ),
});

export const itemPatchSchema = z
  .object({
    action: z.enum(['accept', 'drop', 'reopen']).optional(),
    text: text(500).pipe(z.string().min(1, 'an item needs text')).optional(),
    dueDate: z.iso.date().nullable().optional().describe('YYYY-MM-DD, or null for none'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    owner: z
      .union([
        z.object({ userId: z.uuid() }),
        z.object({ name: text(200).pipe(z.string().min(1)), email: z.email().max(320).optional() }),
      ])
      .nullable()
      .optional()
      .describe('A member ({ userId }), someone by name, or null for unassigned'),
  })
  .describe('What to change; an empty patch changes nothing');

export type ItemPatch = z.infer<typeof itemPatchSchema>;

/** The row update a review makes; an item that became a task only changes back with "reopen". */
export async function reviewPatch(
  store: CallStore,
  workspaceId: string,
  item: CallItem,
  patch: ItemPatch,
): Promise<Record<string, unknown>> {
  const update: Record<string, unknown> = {};
  if (
    item.status === 'created' &&
    (patch.text !== undefined || patch.owner !== undefined || patch.action === 'drop')
  )
    throw invalidInput('body', 'This item is a task already: change the task instead', 'item_is_task');
  if (patch.action) update.status = { accept: 'accepted', drop: 'dropped', reopen: 'proposed' }[patch.action];
  if (patch.action === 'reopen' && item.status === 'created') update.status = 'created';
  if (patch.text !== undefined) update.text = patch.text;
  if (patch.priority !== undefined) update.priority = patch.priority;
  if (patch.dueDate !== undefined) {
    update.due_at = patch.dueDate ? new Date(`${patch.dueDate}T00:00:00Z`) : null;
    update.due_text = null;
  }
  if (patch.owner !== undefined) {
    if (patch.owner === null) {
      Object.assign(update, {
        owner_name: null,
        owner_email: null,
        owner_user_id: null,
        owner_lead_id: null,
        owner_reason: 'unassigned in review',
      });
    } else if ('userId' in patch.owner) {
      const userId = patch.owner.userId;
      const member = (await store.members(workspaceId)).find((m) => m.userId === userId);
      if (!member) throw invalidInput('body.owner.userId', 'This person is not a member of the workspace');
      Object.assign(update, {
        owner_name: member.name || member.email,
        owner_email: member.email,
        owner_user_id: member.userId,
        owner_lead_id: null,
        owner_reason: null,
      });
    } else {
      Object.assign(update, {
        owner_name: patch.owner.name,
        owner_email: patch.owner.email ?? null,
        owner_user_id: null,
        owner_lead_id: null,
        owner_reason: null,
      });
    }
  }
  if (
    patch.text !== undefined ||
    patch.owner !== undefined ||
    patch.dueDate !== undefined ||
    patch.priority !== undefined
  )
    update.edited = true;
  return update;
}
