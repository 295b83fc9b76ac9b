import type { Knex } from 'knex';
import { invalidInput, notFoundError } from '../../engine/errors.js';
import { effectivePlan } from '../billing/accounts.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';
import { shipWithRelease } from '../feedback/shipping.js';
import { markdownToText } from './markdown.js';
import { presentNote, type ReleaseNote, type ReleaseNoteRow } from './store.js';

/**
 * Publishing a note (now, or by the sweeper at its scheduled time): the row moves to
 * `published` once (a conditional update, so two admins or two sweepers publish it once), then
 * `release.published` goes to every workspace on a plan the note concerns, with the people of
 * the roles it concerns as recipients, and the feedback posts shipped with it tell their voters.
 */
export async function publishNote(
  knex: Knex,
  id: string,
  options: { publicUrl: string; now?: Date },
): Promise<ReleaseNote> {
  const now = options.now ?? new Date();
  const [row] = await knex<ReleaseNoteRow>('release_notes')
    .where({ id })
    .whereIn('status', ['draft', 'scheduled'])
    .update({ status: 'published', published_at: now, scheduled_at: null, updated_at: now })
    .returning('*');
  if (!row) {
    const existing = await knex<ReleaseNoteRow>('release_notes').where({ id }).first();
    if (!existing) throw notFoundError('The release note');
    throw invalidInput('status', 'This note is published already');
  }
  await announce(knex, row, options.publicUrl);
  return presentNote(row);
}

/** The sweeper's part: publish every scheduled note whose time has come; returns how many. */
export async function publishDue(knex: Knex, options: { publicUrl: string; now?: Date }): Promise<number> {
  const now = options.now ?? new Date();
  const due = await knex<ReleaseNoteRow>('release_notes')
    .where({ status: 'scheduled' })
    .andWhere('scheduled_at', '<=', now)
    .orderBy('scheduled_at')
    .limit(100)
    .select('id', 'scheduled_at');
  let published = 0;
  for (const note of due) {
    // Published at the time it was scheduled for, not when the sweeper got to it.
    const [row] = await knex<ReleaseNoteRow>('release_notes')
      .where({ id: note.id, status: 'scheduled' })
      .update({ status: 'published', published_at: note.scheduled_at ?? now, updated_at: now })
      .returning('*');
    if (!row) continue;
    published += 1;
    await announce(knex, row, options.publicUrl);
  }
  return published;
}

const BATCH = 500;

async function announce(knex: Knex, note: ReleaseNoteRow, publicUrl: string): Promise<void> {
  const billing = billingFor(knex);
  const events = platformEvents(knex);
  const summary = markdownToText(note.body, 1000);
  let after = '';
  for (;;) {
    const workspaces = await knex('workspaces')
      .where('id', '>', after || '00000000-0000-0000-0000-000000000000')
      .orderBy('id')
      .limit(BATCH)
      .select<Array<{ id: string; name: string }>>('id', 'name');
    if (workspaces.length === 0) break;
    after = workspaces[workspaces.length - 1]?.id ?? after;
    for (const workspace of workspaces) {
      const plan = effectivePlan(await billing.accounts.get(workspace.id));
      if (note.audience_plans.length > 0 && !note.audience_plans.includes(plan)) continue;
      const people = knex('memberships as m')
        .join('users as u', 'u.id', 'm.user_id')
        .where('m.workspace_id', workspace.id)
        .orderBy('m.created_at');
      if (note.audience_roles.length > 0) void people.whereIn('m.role', note.audience_roles);
      const recipients = (await people.select<Array<{ email: string }>>('u.email')).map((p) => p.email);
      await events.emit({
        workspaceId: workspace.id,
        eventId: `release.published:${note.id}`,
        name: 'release.published',
        data: {
          noteId: note.id,
          title: note.title,
          version: note.version,
          category: note.category,
          featured: note.featured,
          summary,
          url: `${publicUrl}/w/${workspace.id}/releases/${note.id}`,
          publishedAt: (note.published_at ?? new Date()).toISOString(),
          plan,
          audience: { plans: note.audience_plans, roles: note.audience_roles },
          recipients,
        },
      });
    }
    if (workspaces.length < BATCH) break;
  }
  await shipWithRelease(knex, note.id);
}
