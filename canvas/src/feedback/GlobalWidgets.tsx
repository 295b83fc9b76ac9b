import type { WorkspaceSummary } from '../api/types.js';

/** What every page shows around its content: the feedback widget and the NPS survey when due. */
export function GlobalWidgets({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  void workspace;
  void path;
  return null;
}
