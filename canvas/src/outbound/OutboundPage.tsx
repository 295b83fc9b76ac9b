import type { WorkspaceSummary } from '../api/types.js';

/** Outbound: the page of this feature (placeholder until the feature lands). */
export function OutboundPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="outbound-page" data-workspace={workspace.id} data-path={path}>
      <h1>Outbound</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
