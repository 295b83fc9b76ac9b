import { useState } from 'react';
import type { JsonValue } from '../api/types.js';
import { JsonField } from '../editor/JsonField.js';
import { Modal } from '../ui/Modal.js';

/**
 * Retry a run with an edited input (issue 18): a fresh run of the current version — the
 * published one, or the draft for a test run — that records the run it retries.
 */
export function RetryModal(props: {
  input: JsonValue;
  test: boolean;
  onClose: () => void;
  onRetry: (input: JsonValue) => Promise<void>;
}) {
  const [input, setInput] = useState<JsonValue | undefined>(props.input);
  const [busy, setBusy] = useState(false);
  const retry = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onRetry(input ?? {});
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Retry with edited input"
      onClose={props.onClose}
      testId="retry-dialog"
      footer={
        <button
          className="btn btn--primary"
          disabled={busy}
          onClick={() => void retry()}
          data-testid="retry-confirm"
        >
          {busy ? 'Starting…' : '↻ Retry'}
        </button>
      }
    >
      <p className="muted">
        {props.test
          ? 'A new test run of the current draft, from the start.'
          : 'A new run of the current published version, from the start.'}
      </p>
      <label className="field">
        <span className="field__label">Input (JSON)</span>
        <JsonField value={input} onChange={setInput} rows={10} testId="retry-input" />
      </label>
    </Modal>
  );
}
