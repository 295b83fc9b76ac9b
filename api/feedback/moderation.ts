import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { conflictError, invalidInput, notFoundError } from '../../engine/errors.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';
import { deliverSoon, notifyVoters } from './shipping.js';
import type { FeedbackStatus, FeedbackStore, PostView, StatusKind, Viewer } from './store.js';

/** What instance admins do to posts: move them between statuses, link releases, merge duplicates. */
export class FeedbackModeration {
  constructor(
    private readonly knex: Knex,
    private readonly store: FeedbackStore,
  ) {}

  /**
   * Admins: move a post to a status and/or link the release note that ships it. Moving to a
   * status of kind `shipped` tells the voters (once: see shipping.ts).
   */
  async update(
    admin: Viewer,
    postId: string,
    change: { statusId?: string; releaseNoteId?: string | null },
  ): Promise<PostView> {
    const result = await this.knex.transaction(async (trx) => {
      // Lock the post alone: a join under FOR UPDATE re-checks against the old status row after a
      // concurrent change and finds nothing. The status is read after the lock.
      const locked = await trx('feedback_posts')
        .where({ id: postId })
        .forUpdate()
        .first<
          | { status_id: string; workspace_id: string | null; title: string; author_user_id: string | null }
          | undefined
        >('status_id', 'workspace_id', 'title', 'author_user_id');
      const status = locked
        ? await trx('feedback_statuses')
            .where({ id: locked.status_id })
            .first<{ kind: StatusKind; name: string }>('kind', 'name')
        : undefined;
      const current = locked && status ? { ...locked, ...status } : undefined;
      if (!current) throw notFoundError('The feedback post');
      const patch: Record<string, unknown> = { updated_at: new Date() };
      let next: FeedbackStatus | undefined;
      if (change.statusId !== undefined && change.statusId !== current.status_id) {
        next = await trx('feedback_statuses')
          .where({ id: change.statusId })
          .first<FeedbackStatus | undefined>('id', 'kind', 'name', 'position', 'builtin');
        if (!next) throw invalidInput('statusId', 'There is no such status');
        patch.status_id = next.id;
        if (next.kind === 'shipped') patch.shipped_at = new Date();
      }
      if (change.releaseNoteId !== undefined) {
        if (change.releaseNoteId !== null) {
          const note = await trx('release_notes')
            .where({ id: change.releaseNoteId })
            .first<{ id: string } | undefined>('id');
          if (!note) throw invalidInput('releaseNoteId', 'There is no such release note');
        }
        patch.release_note_id = change.releaseNoteId;
      }
      await trx('feedback_posts').where({ id: postId }).update(patch);
      if (next && current.workspace_id) {
        await platformEvents(this.knex).emit(
          {
            workspaceId: current.workspace_id,
            eventId: `feedback.status_changed:${postId}:${randomUUID()}`,
            name: 'feedback.status_changed',
            ...(current.author_user_id ? { userId: current.author_user_id } : {}),
            data: {
              postId,
              title: current.title,
              from: { kind: current.kind, name: current.name },
              to: { kind: next.kind, name: next.name },
              releaseNoteId: (patch.release_note_id as string | null | undefined) ?? null,
            },
          },
          trx,
        );
      }
      return next;
    });
    billingFor(this.knex).outbox.flushSoon();
    // After commit: the notification rows are unique, so concurrent ships insert them once.
    const told = await notifyVoters(this.knex, postId);
    if (told > 0) deliverSoon(this.knex);
    void result;
    return this.store.get(admin, postId);
  }

  /**
   * Merge a duplicate into another post: its votes move (a person who voted on both keeps one
   * vote), its comments stay readable on it, and it leaves the board.
   */
  async merge(admin: Viewer, postId: string, intoId: string): Promise<PostView> {
    if (postId === intoId) throw invalidInput('intoId', 'A post cannot be merged into itself');
    await this.knex.transaction(async (trx) => {
      const posts = await trx('feedback_posts')
        .whereIn('id', [postId, intoId])
        .forUpdate()
        .select<Array<{ id: string; merged_into_id: string | null }>>('id', 'merged_into_id');
      const source = posts.find((post) => post.id === postId);
      const target = posts.find((post) => post.id === intoId);
      if (!source) throw notFoundError('The feedback post');
      if (!target) throw invalidInput('intoId', 'There is no such post to merge into');
      if (source.merged_into_id) throw conflictError('This post was merged already', 'merged');
      if (target.merged_into_id) throw invalidInput('intoId', 'That post was itself merged into another one');
      await trx.raw(
        `insert into feedback_votes (post_id, user_id, workspace_id, created_at)
         select ?, user_id, workspace_id, created_at from feedback_votes where post_id = ?
         on conflict (post_id, user_id) do nothing`,
        [intoId, postId],
      );
      await trx('feedback_votes').where({ post_id: postId }).delete();
      await trx('feedback_posts')
        .where({ id: postId })
        .update({ merged_into_id: intoId, updated_at: new Date() });
    });
    // Votes that moved onto a shipped post are told too (once).
    const told = await notifyVoters(this.knex, intoId);
    if (told > 0) deliverSoon(this.knex);
    return this.store.get(admin, intoId);
  }
}
