import { useMemo, useState } from 'react';
import type { JsonValue } from '../api/types.js';
import { pretty } from '../ui/bits.js';
import type { RunSample } from './expressions.js';
import { JsonField } from './JsonField.js';
import { previewTemplate, scopeFor } from './preview.js';
import type { TestMode } from './useTestRun.js';

/**
 * A node's data (issue 18): what it received and returned in the last run (test or real), its
 * pinned output (like n8n's pinData: test runs use it instead of running the node), buttons to
 * test it, and an expression editor previewing a `{{ }}` value against that data.
 */
export function NodeDataTab(props: {
  nodeId: string;
  sample: RunSample | undefined;
  pinned: JsonValue | undefined;
  vars: JsonValue | undefined;
  readOnly: boolean;
  onPin: (value: JsonValue | undefined) => void;
  onTest: (mode: TestMode) => void;
}) {
  const { nodeId, sample } = props;
  const input = sample?.inputs.get(nodeId);
  const output = sample?.outputs.get(nodeId);
  const [draftPin, setDraftPin] = useState<JsonValue | undefined>(props.pinned);
  const [expression, setExpression] = useState('{{ input }}');
  const scope = useMemo(() => scopeFor(nodeId, sample, props.vars), [nodeId, sample, props.vars]);
  const preview = previewTemplate(expression, scope);
  return (
    <div className="node-data" data-testid="node-data">
      {!props.readOnly && (
        <div className="node-data__actions">
          <button className="btn btn--small" onClick={() => props.onTest('node')} data-testid="test-node">
            ▶ Test this node
          </button>
          <button className="btn btn--small" onClick={() => props.onTest('until')} data-testid="test-until">
            ▶ Run up to here
          </button>
        </div>
      )}
      <h4 className="panel__subtitle">Input (last run)</h4>
      {input === undefined ? (
        <p className="muted" data-testid="node-input-empty">
          No run has reached this node yet: test-run the workflow to see its data here.
        </p>
      ) : (
        <pre className="code-block" data-testid="node-input">
          {pretty(input)}
        </pre>
      )}
      <h4 className="panel__subtitle">Output (last run)</h4>
      {output === undefined ? (
        <p className="muted">—</p>
      ) : (
        <>
          <pre className="code-block" data-testid="node-output">
            {pretty(output)}
          </pre>
          {!props.readOnly && (
            <button
              className="btn btn--small"
              onClick={() => {
                setDraftPin(output);
                props.onPin(output);
              }}
              data-testid="pin-output"
            >
              Pin this output
            </button>
          )}
        </>
      )}
      <h4 className="panel__subtitle">Pinned data {props.pinned !== undefined ? '(used by test runs)' : ''}</h4>
      {props.pinned === undefined && props.readOnly ? (
        <p className="muted">Nothing pinned.</p>
      ) : (
        <>
          <JsonField value={draftPin} onChange={setDraftPin} rows={6} testId="pinned-data" />
          {!props.readOnly && (
            <div className="node-data__actions">
              <button
                className="btn btn--small"
                disabled={draftPin === undefined}
                onClick={() => props.onPin(draftPin)}
                data-testid="save-pin"
              >
                {props.pinned === undefined ? 'Pin' : 'Save pinned data'}
              </button>
              {props.pinned !== undefined && (
                <button
                  className="btn btn--ghost btn--small"
                  onClick={() => {
                    setDraftPin(undefined);
                    props.onPin(undefined);
                  }}
                  data-testid="unpin"
                >
                  Unpin
                </button>
              )}
            </div>
          )}
        </>
      )}
      <h4 className="panel__subtitle">Expression preview</h4>
      <input
        className="expr-input"
        value={expression}
        onChange={(e) => setExpression(e.target.value)}
        spellCheck={false}
        data-testid="expr-input"
      />
      <pre
        className={`code-block${preview.kind === 'error' ? ' code-block--error' : ''}`}
        data-testid="expr-preview"
        data-kind={preview.kind}
      >
        {preview.text}
      </pre>
    </div>
  );
}
