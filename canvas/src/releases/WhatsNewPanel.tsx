import type { WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { releasesApi } from './api.js';
import { CategoryChip } from './ReleasesPage.js';
import { useUnread } from './useUnread.js';
import './releases.css';

/**
 * "What's new": the newest unread featured note, in a small panel over any page (not on the
 * changelog itself). Reading or dismissing it marks it read.
 */
export function WhatsNewPanel({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const { unread } = useUnread(workspace.id);
  const base = `/w/${workspace.id}/releases`;
  const note = unread.find((candidate) => candidate.featured);
  if (!note || path.startsWith(base)) return null;
  const read = (): void => {
    void releasesApi.markRead(workspace.id, { noteIds: [note.id] }).catch(() => undefined);
  };
  return (
    <aside className="card whats-new" data-testid="whats-new" aria-label="What's new">
      <div className="whats-new__head">
        <strong>What's new</strong>
        <CategoryChip category={note.category} />
        <button
          className="btn btn--ghost btn--icon"
          aria-label="Dismiss"
          onClick={read}
          data-testid="whats-new-dismiss"
        >
          ×
        </button>
      </div>
      <div className="whats-new__title">{note.title}</div>
      {note.version && <div className="muted small">{note.version}</div>}
      <button
        className="btn btn--primary btn--small"
        data-testid="whats-new-open"
        onClick={() => navigate(`${base}/${note.id}`)}
      >
        Read it
      </button>
    </aside>
  );
}
