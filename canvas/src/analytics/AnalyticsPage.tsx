import type { WorkspaceSummary } from '../api/types.js';

/** Analytics: the page of this feature (placeholder until the feature lands). */
export function AnalyticsPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="analytics-page" data-workspace={workspace.id} data-path={path}>
      <h1>Analytics</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
