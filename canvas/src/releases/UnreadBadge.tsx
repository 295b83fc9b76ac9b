import type { WorkspaceSummary } from '../api/types.js';

/** The count of unread release notes, next to the navigation entry. */
export function UnreadBadge({ workspace }: { workspace: WorkspaceSummary }) {
  void workspace;
  return null;
}
