import { useState } from 'react';
import type { JsonValue } from '../api/types.js';
import { Modal } from '../ui/Modal.js';
import { JsonField } from './JsonField.js';
import type { TestMode, TestRequest } from './useTestRun.js';

/** Test-run the draft: the whole workflow, up to a node, or one node; input from the last run or typed. */
export function TestRunModal(props: {
  nodeIds: string[];
  initialNode: string | undefined;
  initialMode: TestMode;
  sample: JsonValue | undefined;
  hasLastRun: boolean;
  onClose: () => void;
  onStart: (request: TestRequest) => Promise<void>;
}) {
  const [mode, setMode] = useState<TestMode>(props.initialMode);
  const [nodeId, setNodeId] = useState(props.initialNode ?? props.nodeIds[0] ?? '');
  const [source, setSource] = useState<'last' | 'json'>(props.hasLastRun ? 'last' : 'json');
  const [input, setInput] = useState<JsonValue | undefined>(props.sample ?? {});
  const [busy, setBusy] = useState(false);
  const start = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onStart({
        mode,
        ...(mode !== 'workflow' ? { nodeId } : {}),
        ...(source === 'json' ? { input: input ?? {} } : {}),
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Test run of the draft"
      onClose={props.onClose}
      testId="test-run-dialog"
      footer={
        <button
          className="btn btn--primary"
          disabled={busy || (mode !== 'workflow' && !nodeId)}
          onClick={() => void start()}
          data-testid="test-run-confirm"
        >
          {busy ? 'Starting…' : '▶ Start test run'}
        </button>
      }
    >
      <p className="muted">
        Runs the current draft without publishing. Pinned data replaces the pinned nodes. Test runs are marked
        as tests, are not counted in the runs quota and never touch production webhooks.
      </p>
      <label className="field">
        <span className="field__label">What to run</span>
        <select value={mode} onChange={(e) => setMode(e.target.value as TestMode)} data-testid="test-run-mode">
          <option value="workflow">The whole workflow</option>
          <option value="until">Up to a node</option>
          <option value="node">One node alone</option>
        </select>
      </label>
      {mode !== 'workflow' && (
        <label className="field">
          <span className="field__label">Node</span>
          <select value={nodeId} onChange={(e) => setNodeId(e.target.value)} data-testid="test-run-node">
            {props.nodeIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="field">
        <span className="field__label">Input</span>
        <select
          value={source}
          onChange={(e) => setSource(e.target.value as 'last' | 'json')}
          data-testid="test-run-source"
        >
          <option value="last" disabled={!props.hasLastRun}>
            From the last run{props.hasLastRun ? '' : ' (no run yet)'}
          </option>
          <option value="json">JSON I type</option>
        </select>
      </label>
      {source === 'json' && (
        <label className="field">
          <span className="field__label">
            {mode === 'node' ? 'The node’s input (JSON)' : 'The trigger’s input (JSON)'}
          </span>
          <JsonField value={input} onChange={setInput} rows={8} testId="test-run-input" />
        </label>
      )}
    </Modal>
  );
}
