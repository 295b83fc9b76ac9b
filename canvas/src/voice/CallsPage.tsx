import type { WorkspaceSummary } from '../api/types.js';

/** Calls: the page of this feature (placeholder until the feature lands). */
export function CallsPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="calls-page" data-workspace={workspace.id} data-path={path}>
      <h1>Calls</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
