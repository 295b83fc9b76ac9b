import { useEffect, useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, match } from '../app/router.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Empty, PageHeader, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CATEGORIES, releasesApi, type ReleaseCategory, type ReleaseNote } from './api.js';
import { ManageReleases } from './ManageReleases.js';
import './releases.css';

/** "What's new": the changelog for this workspace's plan and your role, and (admins) the editor. */
export function ReleasesPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const { me } = useSession();
  const base = `/w/${workspace.id}/releases`;
  const admin = me?.instanceAdmin === true;
  const manage = path.startsWith(`${base}/manage`);
  const open = match(`${base}/:noteId`, path)?.noteId;
  return (
    <div className="page releases" data-testid="releases-page">
      <PageHeader title="What's new">
        <a
          className="btn btn--ghost btn--small"
          href="/api/v1/releases/feed.atom"
          data-testid="releases-feed"
        >
          Atom feed
        </a>
        {admin && (
          <Link to={manage ? base : `${base}/manage`} className="btn btn--small" testId="releases-manage">
            {manage ? 'Changelog' : 'Manage notes'}
          </Link>
        )}
      </PageHeader>
      {manage && admin ? (
        <ManageReleases />
      ) : (
        <Changelog workspace={workspace} openId={open && open !== 'manage' ? open : undefined} />
      )}
    </div>
  );
}

function Changelog({ workspace, openId }: { workspace: WorkspaceSummary; openId: string | undefined }) {
  const toast = useToast();
  const { data, error, loading, setData } = useLoad(
    () => releasesApi.changelog(workspace.id),
    [workspace.id],
  );
  const [category, setCategory] = useState<ReleaseCategory | 'all'>('all');
  const markRead = async (ids: string[] | 'all'): Promise<void> => {
    try {
      await releasesApi.markRead(workspace.id, ids === 'all' ? { all: true } : { noteIds: ids });
      setData((current) =>
        current
          ? {
              unread: ids === 'all' ? 0 : current.items.filter((n) => !n.read && !ids.includes(n.id)).length,
              items: current.items.map((n) =>
                ids === 'all' || ids.includes(n.id) ? { ...n, read: true } : n,
              ),
            }
          : current,
      );
    } catch (failure) {
      toast.error(failure);
    }
  };
  // Opening a note (a link from the badge, the panel or an email) reads it.
  const openNote = data?.items.find((note) => note.id === openId);
  useEffect(() => {
    if (openNote && !openNote.read) void markRead([openNote.id]);
    if (openNote) document.getElementById(`note-${openNote.id}`)?.scrollIntoView({ block: 'start' });
  }, [openNote?.id]); // once per note opened
  if (loading && !data) return <Skeleton rows={5} />;
  if (error) return <div className="form-error">{error}</div>;
  const items = (data?.items ?? []).filter((note) => category === 'all' || note.category === category);
  return (
    <>
      <div className="releases__bar">
        <div className="tabs" role="tablist">
          {[{ id: 'all' as const, title: 'All' }, ...CATEGORIES].map((tab) => (
            <button
              key={tab.id}
              role="tab"
              className={category === tab.id ? 'on' : ''}
              onClick={() => setCategory(tab.id)}
              data-testid={`releases-filter-${tab.id}`}
            >
              {tab.title}
            </button>
          ))}
        </div>
        {(data?.unread ?? 0) > 0 && (
          <button
            className="btn btn--small"
            onClick={() => void markRead('all')}
            data-testid="releases-read-all"
          >
            Mark all read ({data?.unread})
          </button>
        )}
      </div>
      {items.length === 0 ? (
        <Empty title="Nothing new yet">
          <p className="muted">Release notes for your plan appear here as they are published.</p>
        </Empty>
      ) : (
        <ol className="releases__list">
          {items.map((note) => (
            <NoteCard
              key={note.id}
              note={note}
              open={note.id === openId}
              onRead={() => void markRead([note.id])}
            />
          ))}
        </ol>
      )}
    </>
  );
}

export function CategoryChip({ category }: { category: ReleaseCategory }) {
  const title = CATEGORIES.find((c) => c.id === category)?.title ?? category;
  return <span className={`release-chip release-chip--${category}`}>{title}</span>;
}

function NoteCard({ note, open, onRead }: { note: ReleaseNote; open: boolean; onRead: () => void }) {
  return (
    <li
      id={`note-${note.id}`}
      className={`card release${note.read ? '' : ' release--unread'}${open ? ' release--open' : ''}`}
      data-testid="release-note"
      data-note-id={note.id}
      data-read={note.read ? 'true' : 'false'}
    >
      <header className="release__head">
        <CategoryChip category={note.category} />
        {note.version && <span className="release__version">{note.version}</span>}
        {note.featured && <span className="release__featured">★ Featured</span>}
        <time className="muted" dateTime={note.publishedAt ?? undefined}>
          {note.publishedAt ? new Date(note.publishedAt).toLocaleDateString() : ''}
        </time>
      </header>
      <h2 className="release__title">{note.title}</h2>
      {/* Sanitised on the server (marked + sanitize-html); the CSP forbids inline scripts besides. */}
      <div className="release__body markdown" dangerouslySetInnerHTML={{ __html: note.html }} />
      {!note.read && (
        <button className="btn btn--ghost btn--small" onClick={onRead} data-testid="release-mark-read">
          Mark read
        </button>
      )}
    </li>
  );
}
