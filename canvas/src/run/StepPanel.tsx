import type { Step } from '../api/types.js';
import { AiStepFacts } from '../ai/AiStepFacts.js';
import { Badge, duration, pretty } from '../ui/bits.js';

/** What one node did in a run: status, attempts, input, output, error and logs. */
export function StepPanel({
  nodeId,
  title,
  step,
}: {
  nodeId: string;
  title: string;
  step: Step | undefined;
}) {
  return (
    <aside className="panel" data-testid="step-panel">
      <header className="panel__header">
        <div>
          <h3>{title}</h3>
          <small className="muted">{nodeId}</small>
        </div>
        {step && <Badge status={step.status} testId="step-status" />}
      </header>
      {!step ? (
        <p className="muted">This node has not run (yet) in this run.</p>
      ) : (
        <>
          <dl className="facts">
            <dt>Attempts</dt>
            <dd data-testid="step-attempts">{step.attempts}</dd>
            <dt>Duration</dt>
            <dd>{duration(step.durationMs) || '—'}</dd>
            {step.ports.length > 0 && (
              <>
                <dt>Fired</dt>
                <dd>{step.ports.join(', ')}</dd>
              </>
            )}
          </dl>
          <AiStepFacts output={step.output} />
          {step.error && (
            <section>
              <h4 className="panel__subtitle">Error</h4>
              <pre className="code-block code-block--error" data-testid="step-error">
                {step.error.message}
                {step.error.line ? ` (line ${step.error.line})` : ''}
              </pre>
            </section>
          )}
          <section>
            <h4 className="panel__subtitle">Input</h4>
            <pre className="code-block" data-testid="step-input">
              {pretty(step.input)}
            </pre>
          </section>
          <section>
            <h4 className="panel__subtitle">Output</h4>
            <pre className="code-block" data-testid="step-output">
              {step.output === null || step.output === undefined ? '—' : pretty(step.output)}
            </pre>
          </section>
          {step.logs.length > 0 && (
            <section>
              <h4 className="panel__subtitle">Logs</h4>
              <pre className="code-block">
                {step.logs.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}
              </pre>
            </section>
          )}
        </>
      )}
    </aside>
  );
}
