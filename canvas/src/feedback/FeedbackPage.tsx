import type { WorkspaceSummary } from '../api/types.js';

/** Feedback: the page of this feature (placeholder until the feature lands). */
export function FeedbackPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <div className="page" data-testid="feedback-page" data-workspace={workspace.id} data-path={path}>
      <h1>Feedback</h1>
      <p className="muted">Coming soon.</p>
    </div>
  );
}
