import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, match } from '../app/router.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { feedbackApi, type FeedbackKind, type Post, type StatusKind } from './api.js';
import { NpsResultsView } from './NpsResults.js';
import { PostDetail } from './PostDetail.js';
import './feedback.css';

const STATUS_FILTERS: Array<{ id: StatusKind | 'all'; title: string }> = [
  { id: 'all', title: 'All' },
  { id: 'open', title: 'Open' },
  { id: 'planned', title: 'Planned' },
  { id: 'in_progress', title: 'In progress' },
  { id: 'shipped', title: 'Shipped' },
  { id: 'declined', title: 'Declined' },
];

/**
 * Feedback: the board of ideas everyone votes on (the instance's, shared by all workspaces),
 * a post with its comments, and for instance admins the inbox of every kind and the NPS results.
 */
export function FeedbackPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const { me } = useSession();
  const admin = me?.instanceAdmin === true;
  const base = `/w/${workspace.id}/feedback`;
  const section = path.slice(base.length).split('/')[1] ?? '';
  const postId = match(`${base}/posts/:postId`, path)?.postId;
  const tabs = [
    { id: '', title: 'Board' },
    ...(admin
      ? [
          { id: 'inbox', title: 'All feedback' },
          { id: 'nps', title: 'NPS results' },
        ]
      : []),
  ];
  return (
    <div className="page feedback" data-testid="feedback-page">
      <PageHeader title="Feedback" />
      <div className="tabs" role="tablist">
        {tabs.map((tab) => (
          <Link
            key={tab.id}
            to={tab.id ? `${base}/${tab.id}` : base}
            className={`tabs__link${section === tab.id && !postId ? ' on' : ''}`}
            testId={`feedback-tab-${tab.id || 'board'}`}
          >
            {tab.title}
          </Link>
        ))}
      </div>
      {postId ? (
        <PostDetail workspace={workspace} postId={postId} admin={admin} />
      ) : section === 'nps' && admin ? (
        <NpsResultsView />
      ) : section === 'inbox' && admin ? (
        <PostList workspace={workspace} admin />
      ) : (
        <PostList workspace={workspace} admin={false} />
      )}
    </div>
  );
}

function PostList({ workspace, admin }: { workspace: WorkspaceSummary; admin: boolean }) {
  const toast = useToast();
  const [sort, setSort] = useState<'top' | 'new'>(admin ? 'new' : 'top');
  const [status, setStatus] = useState<StatusKind | 'all'>('all');
  const [kind, setKind] = useState<FeedbackKind | 'all'>('all');
  const { data, loading, error, setData } = useLoad(
    () =>
      admin
        ? feedbackApi.allPosts(kind === 'all' ? undefined : kind)
        : feedbackApi.posts(workspace.id, { sort, ...(status === 'all' ? {} : { status }) }),
    [workspace.id, admin, sort, status, kind],
  );
  const vote = async (post: Post): Promise<void> => {
    try {
      const next = post.voted
        ? await feedbackApi.unvote(workspace.id, post.id)
        : await feedbackApi.vote(workspace.id, post.id);
      setData(
        (current) =>
          current && { items: current.items.map((p) => (p.id === next.id ? { ...p, ...next } : p)) },
      );
    } catch (failure) {
      toast.error(failure);
    }
  };
  const items = (data?.items ?? []).filter(
    (post) => !admin || status === 'all' || post.status.kind === status,
  );
  return (
    <>
      <div className="feedback__filters">
        {admin ? (
          <select
            value={kind}
            onChange={(e) => setKind(e.target.value as FeedbackKind | 'all')}
            aria-label="Kind"
          >
            <option value="all">Every kind</option>
            <option value="idea">Ideas</option>
            <option value="problem">Problems</option>
            <option value="praise">Praise</option>
          </select>
        ) : (
          <div className="segmented" role="radiogroup" aria-label="Sort">
            {(['top', 'new'] as const).map((option) => (
              <button key={option} className={sort === option ? 'on' : ''} onClick={() => setSort(option)}>
                {option === 'top' ? 'Top' : 'Newest'}
              </button>
            ))}
          </div>
        )}
        <select
          value={status}
          onChange={(e) => setStatus(e.target.value as StatusKind | 'all')}
          aria-label="Status"
          data-testid="feedback-status-filter"
        >
          {STATUS_FILTERS.map((option) => (
            <option key={option.id} value={option.id}>
              {option.title}
            </option>
          ))}
        </select>
        <span className="muted small">Give feedback from any page with the ✎ Feedback button.</span>
      </div>
      {loading && !data ? (
        <Skeleton rows={5} />
      ) : error ? (
        <div className="form-error">{error}</div>
      ) : items.length === 0 ? (
        <Empty title="No ideas here yet">
          <p className="muted">Use the Feedback button to suggest one.</p>
        </Empty>
      ) : (
        <ul className="board" data-testid="feedback-board">
          {items.map((post) => (
            <li key={post.id} className="card board__post" data-testid="feedback-post" data-post-id={post.id}>
              {post.kind === 'idea' ? (
                <button
                  className={`vote${post.voted ? ' vote--on' : ''}`}
                  onClick={() => void vote(post)}
                  aria-pressed={post.voted}
                  aria-label={post.voted ? 'Remove your vote' : 'Vote'}
                  data-testid="feedback-vote"
                  disabled={post.mergedIntoId !== null}
                >
                  <span aria-hidden>▲</span>
                  <span data-testid="feedback-votes">{post.votes}</span>
                </button>
              ) : (
                <span className={`kind-chip kind-chip--${post.kind}`}>{post.kind}</span>
              )}
              <div className="board__main">
                <Link
                  to={`/w/${workspace.id}/feedback/posts/${post.id}`}
                  className="board__title"
                  testId="feedback-post-link"
                >
                  {post.title}
                </Link>
                <div className="board__meta muted small">
                  <span
                    className={`status-chip status-chip--${post.status.kind}`}
                    data-testid="feedback-post-status"
                  >
                    {post.status.name}
                  </span>
                  {post.release && <span>Shipped in {post.release.title}</span>}
                  <span>{post.comments} comments</span>
                  <span>{timeAgo(post.createdAt)}</span>
                  {post.mine && <span>· yours</span>}
                  {admin && post.author && <span>· {post.author.email}</span>}
                  {post.mergedIntoId && <span>· merged</span>}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
