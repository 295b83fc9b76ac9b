import type { WorkspaceSummary } from '../api/types.js';

/** Salesboard: the page of this feature (placeholder until the feature lands). */
export function SalesboardPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="salesboard-page" data-workspace={workspace.id} data-path={path}>
      <h1>Salesboard</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
