import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { releasesApi } from '../releases/api.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { feedbackApi } from './api.js';

/** One post: its text (always as text), votes, comments; admins move it, link a release, merge it. */
export function PostDetail({
  workspace,
  postId,
  admin,
}: {
  workspace: WorkspaceSummary;
  postId: string;
  admin: boolean;
}) {
  const toast = useToast();
  const {
    data: post,
    loading,
    error,
    reload,
  } = useLoad(() => feedbackApi.post(workspace.id, postId), [workspace.id, postId]);
  const [comment, setComment] = useState('');
  const act = async (work: () => Promise<unknown>, done?: string): Promise<void> => {
    try {
      await work();
      if (done) toast.show('success', done);
      await reload();
    } catch (failure) {
      toast.error(failure);
    }
  };
  if (loading && !post) return <Skeleton rows={4} />;
  if (error || !post) return <div className="form-error">{error ?? 'Not found'}</div>;
  return (
    <article className="post" data-testid="feedback-post-detail">
      <div className="card post__card">
        <div className="post__head">
          {post.kind === 'idea' && (
            <button
              className={`vote${post.voted ? ' vote--on' : ''}`}
              aria-pressed={post.voted}
              data-testid="feedback-vote"
              disabled={post.mergedIntoId !== null}
              onClick={() =>
                void act(() =>
                  post.voted
                    ? feedbackApi.unvote(workspace.id, post.id)
                    : feedbackApi.vote(workspace.id, post.id),
                )
              }
            >
              <span aria-hidden>▲</span>
              <span data-testid="feedback-votes">{post.votes}</span>
            </button>
          )}
          <div>
            <h2 className="post__title">{post.title}</h2>
            <div className="board__meta muted small">
              <span className={`status-chip status-chip--${post.status.kind}`}>{post.status.name}</span>
              <span className={`kind-chip kind-chip--${post.kind}`}>{post.kind}</span>
              {post.page && <span>from {post.page}</span>}
              <span>{timeAgo(post.createdAt)}</span>
            </div>
          </div>
        </div>
        {/* Plain text: whatever was typed shows as typed, never as HTML. */}
        <p className="post__body" data-testid="feedback-post-body">
          {post.body}
        </p>
        {post.release && (
          <p className="small">
            Shipped in <a href={`/w/${workspace.id}/releases/${post.release.id}`}>{post.release.title}</a>
            {post.release.version ? ` (${post.release.version})` : ''}
          </p>
        )}
        {post.mergedIntoId && (
          <p className="notice small">
            Merged into <a href={`/w/${workspace.id}/feedback/posts/${post.mergedIntoId}`}>another idea</a>:
            vote there.
          </p>
        )}
      </div>
      {admin && (
        <AdminControls
          postId={post.id}
          statusId={post.status.id}
          releaseId={post.release?.id ?? null}
          act={act}
          workspace={workspace}
        />
      )}
      <section className="comments">
        <h3>Comments</h3>
        <ul className="comments__list" data-testid="feedback-comments">
          {post.commentList.map((c) => (
            <li key={c.id} className={c.mine ? 'comment comment--mine' : 'comment'}>
              <div className="muted small">
                {c.author} · {timeAgo(c.createdAt)}
              </div>
              <div className="comment__body">{c.body}</div>
            </li>
          ))}
        </ul>
        <textarea
          rows={3}
          maxLength={5000}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          aria-label="Comment"
          data-testid="feedback-comment-text"
        />
        <button
          className="btn btn--small"
          disabled={comment.trim() === ''}
          data-testid="feedback-comment-send"
          onClick={() =>
            void act(() => feedbackApi.comment(workspace.id, post.id, comment).then(() => setComment('')))
          }
        >
          Comment
        </button>
      </section>
    </article>
  );
}

function AdminControls(props: {
  workspace: WorkspaceSummary;
  postId: string;
  statusId: string;
  releaseId: string | null;
  act: (work: () => Promise<unknown>, done?: string) => Promise<void>;
}) {
  const statuses = useLoad(() => feedbackApi.statuses(props.workspace.id), [props.workspace.id]);
  const notes = useLoad(() => releasesApi.all(), []);
  const posts = useLoad(() => feedbackApi.allPosts('idea'), []);
  const [statusId, setStatusId] = useState(props.statusId);
  const [releaseId, setReleaseId] = useState(props.releaseId ?? '');
  const [intoId, setIntoId] = useState('');
  const [voters, setVoters] = useState<Array<{ name: string; email: string }> | null>(null);
  return (
    <section className="card post__admin" data-testid="feedback-admin">
      <h3>Manage (instance admin)</h3>
      <div className="field-row">
        <label className="field">
          <span>Status</span>
          <select
            value={statusId}
            onChange={(e) => setStatusId(e.target.value)}
            data-testid="feedback-admin-status"
          >
            {(statuses.data?.items ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.kind.replace('_', ' ')})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Shipped in release</span>
          <select
            value={releaseId}
            onChange={(e) => setReleaseId(e.target.value)}
            data-testid="feedback-admin-release"
          >
            <option value="">None</option>
            {(notes.data?.items ?? []).map((n) => (
              <option key={n.id} value={n.id}>
                {n.title}
                {n.status === 'published' ? '' : ` (${n.status})`}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="row-actions">
        <button
          className="btn btn--primary btn--small"
          data-testid="feedback-admin-save"
          onClick={() =>
            void props.act(
              () => feedbackApi.moderate(props.postId, { statusId, releaseNoteId: releaseId || null }),
              'Saved: voters of a shipped idea are told',
            )
          }
        >
          Save
        </button>
        <button
          className="btn btn--ghost btn--small"
          onClick={() => void feedbackApi.voters(props.postId).then((r) => setVoters(r.items))}
        >
          Show voters
        </button>
      </div>
      {voters && (
        <ul className="small" data-testid="feedback-voters">
          {voters.map((v) => (
            <li key={v.email}>
              {v.name} &lt;{v.email}&gt;
            </li>
          ))}
        </ul>
      )}
      <div className="field-row">
        <label className="field">
          <span>Merge this duplicate into</span>
          <select value={intoId} onChange={(e) => setIntoId(e.target.value)}>
            <option value="">Choose an idea…</option>
            {(posts.data?.items ?? [])
              .filter((p) => p.id !== props.postId && !p.mergedIntoId)
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title}
                </option>
              ))}
          </select>
        </label>
        <div className="field">
          <span>&nbsp;</span>
          <button
            className="btn btn--small"
            disabled={!intoId}
            onClick={() =>
              void props.act(() => feedbackApi.merge(props.postId, intoId), 'Merged: votes moved')
            }
          >
            Merge
          </button>
        </div>
      </div>
    </section>
  );
}
