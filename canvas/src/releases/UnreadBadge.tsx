import type { WorkspaceSummary } from '../api/types.js';
import { useUnread } from './useUnread.js';
import './releases.css';

/** The count of unread release notes, next to the navigation entry. */
export function UnreadBadge({ workspace }: { workspace: WorkspaceSummary }) {
  const { unread } = useUnread(workspace.id);
  if (unread.length === 0) return null;
  return (
    <span
      className="unread-badge"
      data-testid="releases-unread"
      aria-label={`${unread.length} unread release notes`}
    >
      {unread.length > 99 ? '99+' : unread.length}
    </span>
  );
}
