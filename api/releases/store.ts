import type { Knex } from 'knex';
import { invalidInput, notFoundError } from '../../engine/errors.js';
import type { Role } from '../http/route.js';
import { renderMarkdown } from './markdown.js';

export const releaseCategories = ['new', 'improved', 'fixed', 'security'] as const;
export type ReleaseCategory = (typeof releaseCategories)[number];
export const releaseStatuses = ['draft', 'scheduled', 'published'] as const;
export type ReleaseStatus = (typeof releaseStatuses)[number];

export interface Audience {
  /** Plan ids the note is for; empty: every plan. */
  plans: string[];
  /** Workspace roles the note is for; empty: every role. */
  roles: Role[];
}

export interface ReleaseNoteRow {
  id: string;
  title: string;
  body: string;
  category: ReleaseCategory;
  version: string | null;
  featured: boolean;
  status: ReleaseStatus;
  scheduled_at: Date | null;
  published_at: Date | null;
  audience_plans: string[];
  audience_roles: Role[];
  author_user_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A note as the API shows it: the markdown and the sanitised HTML made from it. */
export interface ReleaseNote {
  id: string;
  title: string;
  body: string;
  html: string;
  category: ReleaseCategory;
  version: string | null;
  featured: boolean;
  status: ReleaseStatus;
  scheduledAt: string | null;
  publishedAt: string | null;
  audience: Audience;
  /** True when the audience is everyone: the note is in the public feed. */
  public: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NoteInput {
  title: string;
  body: string;
  category: ReleaseCategory;
  version?: string | null;
  featured?: boolean;
  audience?: Audience;
  status?: 'draft' | 'scheduled';
  scheduledAt?: string | null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function presentNote(row: ReleaseNoteRow): ReleaseNote {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    html: renderMarkdown(row.body),
    category: row.category,
    version: row.version,
    featured: row.featured,
    status: row.status,
    scheduledAt: iso(row.scheduled_at),
    publishedAt: iso(row.published_at),
    audience: { plans: row.audience_plans, roles: row.audience_roles },
    public: row.audience_plans.length === 0 && row.audience_roles.length === 0,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A scheduled note needs a time in the future; a draft keeps none. */
function scheduleFields(
  status: 'draft' | 'scheduled',
  scheduledAt: string | null | undefined,
  now: Date,
): { status: ReleaseStatus; scheduled_at: Date | null } {
  if (status === 'draft') return { status, scheduled_at: null };
  if (!scheduledAt) throw invalidInput('scheduledAt', 'A scheduled note needs scheduledAt');
  const at = new Date(scheduledAt);
  if (at.getTime() <= now.getTime() - 1000)
    throw invalidInput('scheduledAt', 'scheduledAt must be in the future; publish it now instead');
  return { status, scheduled_at: at };
}

/** Release notes: instance-wide, written by instance admins, read by everyone they concern. */
export class ReleaseStore {
  constructor(private readonly knex: Knex) {}

  async all(): Promise<ReleaseNote[]> {
    const rows = await this.knex<ReleaseNoteRow>('release_notes')
      .orderByRaw('coalesce(published_at, scheduled_at, created_at) desc')
      .limit(500);
    return rows.map(presentNote);
  }

  async row(id: string, db: Knex | Knex.Transaction = this.knex): Promise<ReleaseNoteRow> {
    const row = await db<ReleaseNoteRow>('release_notes').where({ id }).first();
    if (!row) throw notFoundError('The release note');
    return row;
  }

  async create(input: NoteInput, authorUserId: string | null, now = new Date()): Promise<ReleaseNote> {
    const [row] = await this.knex<ReleaseNoteRow>('release_notes')
      .insert({
        title: input.title,
        body: input.body,
        category: input.category,
        version: input.version ?? null,
        featured: input.featured ?? false,
        audience_plans: input.audience?.plans ?? [],
        audience_roles: input.audience?.roles ?? [],
        author_user_id: authorUserId,
        ...scheduleFields(input.status ?? 'draft', input.scheduledAt, now),
      })
      .returning('*');
    return presentNote(row as ReleaseNoteRow);
  }

  /** Edit a note; a published note stays published (fixing a typo does not announce it again). */
  async update(id: string, input: Partial<NoteInput>, now = new Date()): Promise<ReleaseNote> {
    return this.knex.transaction(async (trx) => {
      const current = await trx<ReleaseNoteRow>('release_notes').where({ id }).forUpdate().first();
      if (!current) throw notFoundError('The release note');
      const patch: Partial<ReleaseNoteRow> = { updated_at: now };
      if (input.title !== undefined) patch.title = input.title;
      if (input.body !== undefined) patch.body = input.body;
      if (input.category !== undefined) patch.category = input.category;
      if (input.version !== undefined) patch.version = input.version;
      if (input.featured !== undefined) patch.featured = input.featured;
      if (input.audience !== undefined) {
        patch.audience_plans = input.audience.plans;
        patch.audience_roles = input.audience.roles;
      }
      if (input.status !== undefined || input.scheduledAt !== undefined) {
        if (current.status === 'published')
          throw invalidInput(
            'status',
            'This note is published already; it cannot go back to draft or be rescheduled',
          );
        const status = input.status ?? current.status;
        Object.assign(patch, scheduleFields(status, input.scheduledAt ?? iso(current.scheduled_at), now));
      }
      const [row] = await trx<ReleaseNoteRow>('release_notes').where({ id }).update(patch).returning('*');
      return presentNote(row as ReleaseNoteRow);
    });
  }

  async remove(id: string): Promise<void> {
    const deleted = await this.knex('release_notes').where({ id }).delete();
    if (deleted === 0) throw notFoundError('The release note');
  }

  /** Published notes this person sees in this workspace (plan and role), newest first, with read state. */
  async visible(
    userId: string,
    who: { plan: string; role: Role },
    limit = 100,
  ): Promise<Array<ReleaseNote & { read: boolean }>> {
    const rows = await this.knex('release_notes as n')
      .leftJoin('release_reads as r', (join) => {
        join.on('r.note_id', '=', 'n.id').andOn('r.user_id', '=', this.knex.raw('?', [userId]));
      })
      .where('n.status', 'published')
      .andWhere((q) => {
        q.whereRaw("n.audience_plans = '{}'").orWhereRaw('? = any(n.audience_plans)', [who.plan]);
      })
      .andWhere((q) => {
        q.whereRaw("n.audience_roles = '{}'").orWhereRaw('? = any(n.audience_roles)', [who.role]);
      })
      .orderBy('n.published_at', 'desc')
      .limit(limit)
      .select<Array<ReleaseNoteRow & { read_at: Date | null }>>('n.*', 'r.read_at');
    return rows.map((row) => ({ ...presentNote(row), read: row.read_at !== null }));
  }

  /** Mark notes read for a person; only notes they can see count (ids of others are ignored). */
  async markRead(userId: string, noteIds: string[]): Promise<number> {
    if (noteIds.length === 0) return 0;
    const inserted = await this.knex('release_reads')
      .insert(noteIds.map((noteId) => ({ user_id: userId, note_id: noteId })))
      .onConflict(['user_id', 'note_id'])
      .ignore()
      .returning('note_id');
    return inserted.length;
  }

  /** Public notes (audience: everyone) for the RSS/Atom feed. */
  async publicNotes(limit = 50): Promise<ReleaseNote[]> {
    const rows = await this.knex<ReleaseNoteRow>('release_notes')
      .where({ status: 'published' })
      .whereRaw("audience_plans = '{}' and audience_roles = '{}'")
      .orderBy('published_at', 'desc')
      .limit(limit);
    return rows.map(presentNote);
  }
}
