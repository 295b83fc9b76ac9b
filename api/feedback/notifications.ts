import type { Knex } from 'knex';
import { notFoundError } from '../../engine/errors.js';

/** A person's in-app notifications (ideas they voted for that shipped); nobody sees another's. */
export class FeedbackNotifications {
  constructor(private readonly knex: Knex) {}

  async list(userId: string): Promise<
    Array<{
      id: string;
      title: string;
      body: string;
      postId: string;
      releaseNoteId: string | null;
      read: boolean;
      createdAt: string;
    }>
  > {
    const rows = await this.knex('feedback_notifications')
      .where({ user_id: userId })
      .orderBy('created_at', 'desc')
      .limit(50)
      .select<
        Array<{
          id: string;
          title: string;
          body: string;
          post_id: string;
          release_note_id: string | null;
          read_at: Date | null;
          created_at: Date;
        }>
      >('id', 'title', 'body', 'post_id', 'release_note_id', 'read_at', 'created_at');
    return rows.map((row) => ({
      id: row.id,
      title: row.title,
      body: row.body,
      postId: row.post_id,
      releaseNoteId: row.release_note_id,
      read: row.read_at !== null,
      createdAt: row.created_at.toISOString(),
    }));
  }

  async markRead(userId: string, id: string): Promise<void> {
    const updated = await this.knex('feedback_notifications')
      .where({ id, user_id: userId })
      .update({ read_at: this.knex.raw('coalesce(read_at, now())') });
    if (updated === 0) throw notFoundError('The notification');
  }
}
