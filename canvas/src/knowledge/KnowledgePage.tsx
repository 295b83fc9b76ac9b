import type { WorkspaceSummary } from '../api/types.js';

/** Knowledge: the page of this feature (placeholder until the feature lands). */
export function KnowledgePage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="knowledge-page" data-workspace={workspace.id} data-path={path}>
      <h1>Knowledge</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
