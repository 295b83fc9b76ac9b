import type { WorkspaceSummary } from '../api/types.js';

/** AI Safety: the page of this feature (placeholder until the feature lands). */
export function SafetyPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="safety-page" data-workspace={workspace.id} data-path={path}>
      <h1>AI Safety</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
