import type { RunWithSteps, ValidationIssue, WorkflowSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { Badge } from '../ui/bits.js';

/** The editor's top bar: name, status, save state, problems, and the actions. */
export function EditorToolbar(props: {
  workspaceId: string;
  name: string;
  summary: WorkflowSummary;
  saveState: 'saved' | 'pending' | 'saving' | 'error';
  saveError: string | null;
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
  readOnly: boolean;
  viewMode: boolean;
  testRun: RunWithSteps | null;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onVersions: () => void;
  onToggleActive: () => void;
  onPublish: () => void;
  onRun: () => void;
  onTestRun: () => void;
}) {
  const { summary, issues, warnings, readOnly } = props;
  return (
    <header className="toolbar">
      <Link to={`/w/${props.workspaceId}/workflows`} className="btn btn--ghost btn--small">
        ← Workflows
      </Link>
      <strong className="toolbar__name" data-testid="editor-title">
        {props.name}
      </strong>
      <Badge status={summary.status} testId="workflow-status" />
      {!props.viewMode && (
        <span
          className={`save-state save-state--${props.saveState}`}
          data-testid="save-state"
          title={props.saveError ?? ''}
        >
          {
            {
              saved: 'All changes saved',
              pending: 'Unsaved changes',
              saving: 'Saving…',
              error: 'Not saved',
            }[props.saveState]
          }
        </span>
      )}
      <span className={`issue-count${issues.length ? ' issue-count--bad' : ''}`} data-testid="issue-count">
        {issues.length === 0 ? '✓ Valid' : `${issues.length} problem${issues.length === 1 ? '' : 's'}`}
      </span>
      {warnings.length > 0 && (
        <span
          className="issue-count"
          data-testid="warning-count"
          title={warnings.map((warning) => warning.message).join('\n')}
        >
          ⚠ {warnings.length} warning{warnings.length === 1 ? '' : 's'}
        </span>
      )}
      {props.testRun && (
        <Link
          to={`/w/${props.workspaceId}/runs/${props.testRun.id}`}
          className="test-run-chip"
          testId="test-run-status"
          title="Open the test run"
        >
          Test run: <span data-testid="test-run-state">{props.testRun.status.replace('_', ' ')}</span>
        </Link>
      )}
      <div className="toolbar__spacer" />
      {!props.viewMode && (
        <>
          <button className="btn btn--ghost btn--small" onClick={props.onUndo} title="Undo (Ctrl+Z)" data-testid="undo">
            ↶
          </button>
          <button
            className="btn btn--ghost btn--small"
            onClick={props.onRedo}
            title="Redo (Ctrl+Shift+Z)"
            data-testid="redo"
          >
            ↷
          </button>
          <button
            className="btn btn--ghost btn--small"
            onClick={props.onLayout}
            title="Auto-layout (Shift+L)"
            data-testid="auto-layout"
          >
            Auto-layout
          </button>
          <button className="btn btn--small" onClick={props.onVersions} data-testid="open-versions">
            History
          </button>
        </>
      )}
      {summary.publishedVersionId && !readOnly && (
        <button className="btn btn--small" onClick={props.onToggleActive} data-testid="toggle-active">
          {summary.active ? 'Deactivate' : 'Activate'}
        </button>
      )}
      {!readOnly && (
        <button className="btn btn--small" onClick={props.onTestRun} data-testid="test-run" title="Run the draft">
          ▶ Test run
        </button>
      )}
      {!readOnly && (
        <button className="btn btn--small" onClick={props.onPublish} data-testid="publish">
          Publish
        </button>
      )}
      {!readOnly && (
        <button
          className="btn btn--primary btn--small"
          disabled={!summary.publishedVersionId}
          onClick={props.onRun}
          data-testid="run"
          title={summary.publishedVersionId ? 'Run the published version now' : 'Publish first'}
        >
          ▶ Run
        </button>
      )}
    </header>
  );
}
