import type { Knex } from 'knex';
import { conflictError, DomainError, invalidInput, notFoundError } from '../../engine/errors.js';
import { billingFor } from '../billing/hub.js';
import { platformEvents } from '../events/platform.js';

export const feedbackKinds = ['idea', 'problem', 'praise'] as const;
export type FeedbackKind = (typeof feedbackKinds)[number];
export const statusKinds = ['open', 'planned', 'in_progress', 'shipped', 'declined'] as const;
export type StatusKind = (typeof statusKinds)[number];

export interface FeedbackStatus {
  id: string;
  kind: StatusKind;
  name: string;
  position: number;
  builtin: boolean;
}

/**
 * Who looks: a user sees ideas (the public board) and their own posts of every kind; an
 * instance admin sees everything, with voters' names and emails. Nobody else's email ever
 * reaches a user: authors and commenters are "you", "Revflow team" or "a Revflow user".
 */
export interface Viewer {
  userId: string;
  admin: boolean;
}

export interface PostView {
  id: string;
  kind: FeedbackKind;
  title: string;
  body: string;
  page: string | null;
  status: FeedbackStatus;
  votes: number;
  voted: boolean;
  mine: boolean;
  comments: number;
  mergedIntoId: string | null;
  release: { id: string; title: string; version: string | null; published: boolean } | null;
  shippedAt: string | null;
  createdAt: string;
  /** Instance admins only. */
  author?: { name: string; email: string } | null;
  workspaceId?: string | null;
}

interface PostRow {
  id: string;
  kind: FeedbackKind;
  title: string;
  body: string;
  page: string | null;
  author_user_id: string | null;
  workspace_id: string | null;
  status_id: string;
  merged_into_id: string | null;
  release_note_id: string | null;
  shipped_at: Date | null;
  created_at: Date;
  s_kind: StatusKind;
  s_name: string;
  s_position: number;
  s_builtin: boolean;
  votes: string | number;
  comments: string | number;
  voted: boolean;
  n_title: string | null;
  n_version: string | null;
  n_status: string | null;
  a_name: string | null;
  a_email: string | null;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The board's title of a post: the one given, or the start of its text. */
export function titleFor(text: string, title?: string): string {
  const source = oneLine(title && title.trim() ? title : text);
  return source.length > 120 ? `${source.slice(0, 119)}…` : source;
}

/** Flood limits per person and hour: the board is shared by every workspace of the instance. */
export const POSTS_PER_HOUR = 30;
export const COMMENTS_PER_HOUR = 60;

export class FeedbackStore {
  constructor(private readonly knex: Knex) {}

  private async withinLimit(
    table: string,
    column: string,
    userId: string,
    limit: number,
    what: string,
  ): Promise<void> {
    const [row] = await this.knex(table)
      .where(column, userId)
      .andWhere('created_at', '>', new Date(Date.now() - 3_600_000))
      .count<Array<{ count: string }>>('* as count');
    if (Number(row?.count ?? 0) >= limit)
      throw new DomainError(
        'rate_limited',
        'feedback_flood',
        `At most ${limit} ${what} an hour: try again later`,
      );
  }

  async statuses(): Promise<FeedbackStatus[]> {
    return this.knex('feedback_statuses')
      .orderBy(['position', 'name'])
      .select<FeedbackStatus[]>('id', 'kind', 'name', 'position', 'builtin');
  }

  async addStatus(input: { name: string; kind: StatusKind; position?: number }): Promise<FeedbackStatus> {
    const name = oneLine(input.name);
    if (!name) throw invalidInput('name', 'A status needs a name');
    const [row] = await this.knex('feedback_statuses')
      .insert({ name, kind: input.kind, position: input.position ?? 100 })
      .onConflict('name')
      .ignore()
      .returning<FeedbackStatus[]>(['id', 'kind', 'name', 'position', 'builtin']);
    if (!row) throw conflictError(`A status named "${name}" exists already`, 'status_exists');
    return row;
  }

  async renameStatus(id: string, name: string): Promise<FeedbackStatus> {
    const clean = oneLine(name);
    if (!clean) throw invalidInput('name', 'A status needs a name');
    const clash = await this.knex('feedback_statuses')
      .where({ name: clean })
      .whereNot({ id })
      .first<{ id: string } | undefined>('id');
    if (clash) throw conflictError(`A status named "${clean}" exists already`, 'status_exists');
    const [row] = await this.knex('feedback_statuses')
      .where({ id })
      .update({ name: clean })
      .returning<FeedbackStatus[]>(['id', 'kind', 'name', 'position', 'builtin']);
    if (!row) throw notFoundError('The status');
    return row;
  }

  private query(viewer: Viewer): Knex.QueryBuilder {
    const knex = this.knex;
    const q = knex('feedback_posts as p')
      .join('feedback_statuses as s', 's.id', 'p.status_id')
      .leftJoin('release_notes as n', 'n.id', 'p.release_note_id')
      .leftJoin('users as a', 'a.id', 'p.author_user_id')
      .select(
        'p.*',
        's.kind as s_kind',
        's.name as s_name',
        's.position as s_position',
        's.builtin as s_builtin',
        'n.title as n_title',
        'n.version as n_version',
        'n.status as n_status',
        'a.name as a_name',
        'a.email as a_email',
        knex.raw('(select count(*) from feedback_votes v where v.post_id = p.id) as votes'),
        knex.raw('(select count(*) from feedback_comments c where c.post_id = p.id) as comments'),
        knex.raw('exists(select 1 from feedback_votes v where v.post_id = p.id and v.user_id = ?) as voted', [
          viewer.userId,
        ]),
      );
    if (!viewer.admin)
      void q.where((w) => {
        void w.where('p.kind', 'idea').orWhere('p.author_user_id', viewer.userId);
      });
    return q;
  }

  private present(row: PostRow, viewer: Viewer): PostView {
    const view: PostView = {
      id: row.id,
      kind: row.kind,
      title: row.title,
      body: row.body,
      page: row.page,
      status: {
        id: row.status_id,
        kind: row.s_kind,
        name: row.s_name,
        position: row.s_position,
        builtin: row.s_builtin,
      },
      votes: Number(row.votes),
      voted: row.voted,
      mine: row.author_user_id === viewer.userId,
      comments: Number(row.comments),
      mergedIntoId: row.merged_into_id,
      // Users see a release only once it is out; admins see what they linked.
      release:
        row.release_note_id && row.n_title && (viewer.admin || row.n_status === 'published')
          ? {
              id: row.release_note_id,
              title: row.n_title,
              version: row.n_version,
              published: row.n_status === 'published',
            }
          : null,
      shippedAt: row.shipped_at ? row.shipped_at.toISOString() : null,
      createdAt: row.created_at.toISOString(),
    };
    if (viewer.admin) {
      view.author = row.a_email ? { name: row.a_name ?? '', email: row.a_email } : null;
      view.workspaceId = row.workspace_id;
    }
    return view;
  }

  async list(
    viewer: Viewer,
    filter: { kind?: FeedbackKind; statusKind?: StatusKind; sort: 'top' | 'new'; includeMerged?: boolean },
  ): Promise<PostView[]> {
    const q = this.query(viewer).limit(500);
    if (filter.kind) void q.where('p.kind', filter.kind);
    if (filter.statusKind) void q.where('s.kind', filter.statusKind);
    if (!filter.includeMerged) void q.whereNull('p.merged_into_id');
    if (filter.sort === 'top') void q.orderByRaw('votes desc, p.created_at desc');
    else void q.orderBy('p.created_at', 'desc');
    const rows = (await q) as PostRow[];
    return rows.map((row) => this.present(row, viewer));
  }

  /** One post the viewer may see; someone else's problem report is "not found", never "forbidden". */
  async get(viewer: Viewer, id: string): Promise<PostView> {
    const row = (await this.query(viewer).where('p.id', id).first()) as PostRow | undefined;
    if (!row) throw notFoundError('The feedback post');
    return this.present(row, viewer);
  }

  async create(input: {
    userId: string;
    workspaceId: string;
    kind: FeedbackKind;
    text: string;
    title?: string;
    page?: string;
  }): Promise<PostView> {
    const body = input.text.trim();
    if (!body) throw invalidInput('text', 'Say what you think: the text is empty');
    await this.withinLimit('feedback_posts', 'author_user_id', input.userId, POSTS_PER_HOUR, 'posts');
    const id = await this.knex.transaction(async (trx) => {
      const open = await trx('feedback_statuses')
        .where({ kind: 'open' })
        .orderBy('position')
        .first<{ id: string }>('id');
      if (!open) throw new Error('No status of kind open: the feedback migration seeds one');
      const [row] = await trx('feedback_posts')
        .insert({
          kind: input.kind,
          title: titleFor(body, input.title),
          body,
          page: input.page ?? null,
          author_user_id: input.userId,
          workspace_id: input.workspaceId,
          status_id: open.id,
        })
        .returning<Array<{ id: string; title: string }>>(['id', 'title']);
      const post = row as { id: string; title: string };
      // The author's idea carries their vote.
      if (input.kind === 'idea')
        await trx('feedback_votes').insert({
          post_id: post.id,
          user_id: input.userId,
          workspace_id: input.workspaceId,
        });
      await platformEvents(this.knex).emit(
        {
          workspaceId: input.workspaceId,
          eventId: `feedback.created:${post.id}`,
          name: 'feedback.created',
          userId: input.userId,
          data: {
            postId: post.id,
            kind: input.kind,
            title: post.title,
            text: body,
            page: input.page ?? null,
          },
        },
        trx,
      );
      return post.id;
    });
    billingFor(this.knex).outbox.flushSoon();
    return this.get({ userId: input.userId, admin: false }, id);
  }

  /** One vote per user and post (the primary key): a second vote changes nothing. */
  async vote(viewer: Viewer, workspaceId: string, postId: string): Promise<PostView> {
    const post = await this.get(viewer, postId);
    if (post.kind !== 'idea') throw invalidInput('postId', 'Only ideas take votes');
    if (post.mergedIntoId)
      throw conflictError('This idea was merged into another one: vote there', 'merged', {
        mergedIntoId: post.mergedIntoId,
      });
    await this.knex('feedback_votes')
      .insert({ post_id: postId, user_id: viewer.userId, workspace_id: workspaceId })
      .onConflict(['post_id', 'user_id'])
      .ignore();
    return this.get(viewer, postId);
  }

  async unvote(viewer: Viewer, postId: string): Promise<PostView> {
    await this.get(viewer, postId);
    await this.knex('feedback_votes').where({ post_id: postId, user_id: viewer.userId }).delete();
    return this.get(viewer, postId);
  }

  async comments(
    viewer: Viewer,
    postId: string,
  ): Promise<Array<{ id: string; body: string; author: string; mine: boolean; createdAt: string }>> {
    await this.get(viewer, postId);
    const rows = await this.knex('feedback_comments as c')
      .leftJoin('users as u', 'u.id', 'c.user_id')
      .where('c.post_id', postId)
      .orderBy('c.created_at')
      .limit(500)
      .select<
        Array<{
          id: string;
          body: string;
          user_id: string | null;
          by_admin: boolean;
          created_at: Date;
          name: string | null;
          email: string | null;
        }>
      >('c.id', 'c.body', 'c.user_id', 'c.by_admin', 'c.created_at', 'u.name', 'u.email');
    return rows.map((row) => ({
      id: row.id,
      body: row.body,
      mine: row.user_id === viewer.userId,
      author:
        row.user_id === viewer.userId
          ? 'You'
          : viewer.admin
            ? `${row.name ?? 'Deleted user'}${row.email ? ` <${row.email}>` : ''}`
            : row.by_admin
              ? 'Revflow team'
              : 'A Revflow user',
      createdAt: row.created_at.toISOString(),
    }));
  }

  async comment(viewer: Viewer, postId: string, body: string): Promise<{ id: string }> {
    await this.get(viewer, postId);
    const text = body.trim();
    if (!text) throw invalidInput('body', 'The comment is empty');
    if (!viewer.admin)
      await this.withinLimit('feedback_comments', 'user_id', viewer.userId, COMMENTS_PER_HOUR, 'comments');
    const [row] = await this.knex('feedback_comments')
      .insert({ post_id: postId, user_id: viewer.userId, by_admin: viewer.admin, body: text })
      .returning<Array<{ id: string }>>('id');
    return row as { id: string };
  }

  async voters(postId: string): Promise<Array<{ name: string; email: string; votedAt: string }>> {
    const rows = await this.knex('feedback_votes as v')
      .join('users as u', 'u.id', 'v.user_id')
      .where('v.post_id', postId)
      .orderBy('v.created_at')
      .select<Array<{ name: string; email: string; created_at: Date }>>('u.name', 'u.email', 'v.created_at');
    return rows.map((row) => ({ name: row.name, email: row.email, votedAt: row.created_at.toISOString() }));
  }
}
