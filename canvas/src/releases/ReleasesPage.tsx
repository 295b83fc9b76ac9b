import type { WorkspaceSummary } from '../api/types.js';

/** What's new: the page of this feature (placeholder until the feature lands). */
export function ReleasesPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="releases-page" data-workspace={workspace.id} data-path={path}>
      <h1>What's new</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
