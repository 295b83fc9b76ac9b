import { memo, useState, type ReactNode } from 'react';
import type {
  JsonObject,
  NodeType,
  OnError,
  RetryPolicy,
  ValidationIssue,
  WorkflowSettings,
} from '../api/types.js';
import type { DocMeta, NodeData } from './model.js';
import { SchemaForm } from './SchemaForm.js';
import { shortMessage } from './RevflowNode.js';

type Spec = NodeData['spec'];

/** Side panel for one node: its config form (from the JSON Schema) and its run settings. */
export const NodePanel = memo(NodePanelView);

function NodePanelView(props: {
  id: string;
  spec: Spec;
  type: NodeType | undefined;
  issues: ValidationIssue[];
  onChange: (spec: Spec) => void;
  onDelete: () => void;
  /** The Data tab (last run's input and output, pinned data, expression preview). */
  data?: ReactNode;
  /** Shown above the tabs (a webhook's URLs). */
  extra?: ReactNode;
  readOnly?: boolean;
}) {
  const { spec, type, issues } = props;
  const [tab, setTab] = useState<'config' | 'settings' | 'data'>('config');
  const configErrors = new Map<string, string>();
  const settingErrors = new Map<string, string>();
  const general: string[] = [];
  for (const issue of issues) {
    const message = shortMessage(issue.message);
    if (issue.field?.startsWith('config.')) configErrors.set(issue.field.slice('config.'.length), message);
    else if (issue.field && issue.field !== 'config') settingErrors.set(issue.field, message);
    else general.push(message);
  }
  const setRetry = (patch: Partial<RetryPolicy>): void => {
    const retry: RetryPolicy = { ...spec.retry, ...patch };
    for (const key of Object.keys(retry) as Array<keyof RetryPolicy>)
      if (retry[key] === undefined) delete retry[key];
    const next: Spec = { ...spec, retry };
    if (Object.keys(retry).length === 0) delete next.retry;
    props.onChange(next);
  };

  return (
    <aside className="panel" data-testid="node-panel">
      <header className="panel__header">
        <div>
          <h3>{type?.title ?? spec.type}</h3>
          <small className="muted">
            {props.id} · {spec.type}
          </small>
        </div>
        {!props.readOnly && (
          <button
            className="btn btn--ghost btn--small btn--danger-text"
            onClick={props.onDelete}
            data-testid="delete-node"
          >
            Delete
          </button>
        )}
      </header>
      {type && <p className="panel__docs">{type.docs ?? type.description}</p>}
      {general.map((message) => (
        <p key={message} className="form-error" data-testid="panel-issue">
          {message}
        </p>
      ))}
      <div className="tabs">
        <button className={tab === 'config' ? 'on' : ''} onClick={() => setTab('config')}>
          Configuration
        </button>
        <button
          className={tab === 'settings' ? 'on' : ''}
          onClick={() => setTab('settings')}
          data-testid="node-settings-tab"
        >
          Retry & errors
        </button>
        {props.data && (
          <button
            className={tab === 'data' ? 'on' : ''}
            onClick={() => setTab('data')}
            data-testid="node-data-tab"
          >
            Data
          </button>
        )}
      </div>
      {props.extra}
      {tab === 'data' ? (
        props.data
      ) : tab === 'config' ? (
        <>
          <label className="field">
            <span className="field__label">Label</span>
            <input
              value={spec.name ?? ''}
              placeholder={type?.title}
              onChange={(e) => props.onChange({ ...spec, name: e.target.value || undefined })}
              data-testid="input-node-name"
            />
          </label>
          {type ? (
            <SchemaForm
              schema={type.configSchema}
              value={spec.config}
              onChange={(config: JsonObject) => props.onChange({ ...spec, config })}
              errors={configErrors}
              testPrefix=""
            />
          ) : (
            <p className="form-error">Unknown node type “{spec.type}”.</p>
          )}
        </>
      ) : (
        <div className="schema-form">
          <NumberField
            label="Max attempts"
            value={spec.retry?.maxAttempts}
            min={1}
            max={20}
            error={settingErrors.get('retry.maxAttempts')}
            onChange={(v) => setRetry({ maxAttempts: v })}
            testId="retry-max"
          />
          <label className="field">
            <span className="field__label">Backoff</span>
            <select
              value={spec.retry?.backoff ?? ''}
              onChange={(e) => setRetry({ backoff: (e.target.value || undefined) as RetryPolicy['backoff'] })}
              data-testid="retry-backoff"
            >
              <option value="">Default (exponential)</option>
              <option value="exponential">exponential</option>
              <option value="fixed">fixed</option>
            </select>
          </label>
          <NumberField
            label="Initial delay (ms)"
            value={spec.retry?.initialDelayMs}
            min={0}
            error={settingErrors.get('retry.initialDelayMs')}
            onChange={(v) => setRetry({ initialDelayMs: v })}
            testId="retry-delay"
          />
          <NumberField
            label="Timeout (ms)"
            value={spec.timeoutMs}
            min={1}
            error={settingErrors.get('timeoutMs')}
            onChange={(v) => props.onChange({ ...spec, timeoutMs: v })}
            testId="node-timeout"
          />
          <label className="field">
            <span className="field__label">On error</span>
            <select
              value={spec.onError ?? ''}
              onChange={(e) =>
                props.onChange({ ...spec, onError: (e.target.value || undefined) as OnError | undefined })
              }
              data-testid="node-on-error"
            >
              <option value="">Fail the run (default)</option>
              <option value="continue">Continue with no output</option>
              <option value="route">Route to the error port</option>
            </select>
          </label>
          <label className="field">
            <span className="field__label">Notes</span>
            <textarea
              rows={3}
              value={spec.notes ?? ''}
              onChange={(e) => props.onChange({ ...spec, notes: e.target.value || undefined })}
            />
          </label>
        </div>
      )}
    </aside>
  );
}

function NumberField(props: {
  label: string;
  value: number | undefined;
  min?: number;
  max?: number;
  error?: string;
  onChange: (value: number | undefined) => void;
  testId: string;
}) {
  return (
    <label className={`field${props.error ? ' field--invalid' : ''}`}>
      <span className="field__label">{props.label}</span>
      <input
        type="number"
        min={props.min}
        max={props.max}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        data-testid={props.testId}
      />
      {props.error && <small className="field__error">{props.error}</small>}
    </label>
  );
}

/** Side panel when no node is selected: the workflow's name and run settings, and its problems. */
export function WorkflowPanel(props: {
  meta: DocMeta;
  issues: ValidationIssue[];
  onChange: (meta: DocMeta) => void;
  onSelectNode: (id: string) => void;
}) {
  const { meta } = props;
  const setSettings = (patch: Partial<WorkflowSettings>): void => {
    const settings: WorkflowSettings = { ...meta.settings, ...patch };
    for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
    props.onChange({ ...meta, settings });
  };
  const error = (field: string): string | undefined =>
    props.issues.find((issue) => !issue.nodeId && issue.field === field)?.message;
  const rate = meta.settings.rateLimit;
  return (
    <aside className="panel" data-testid="workflow-panel">
      <header className="panel__header">
        <h3>Workflow</h3>
      </header>
      <div className="schema-form">
        <label className="field">
          <span className="field__label">Name</span>
          <input
            value={meta.name}
            onChange={(e) => props.onChange({ ...meta, name: e.target.value })}
            data-testid="workflow-name"
          />
        </label>
        <NumberField
          label="Run timeout (ms)"
          value={meta.settings.timeoutMs}
          min={1}
          error={error('settings.timeoutMs')}
          onChange={(v) => setSettings({ timeoutMs: v })}
          testId="settings-timeout"
        />
        <NumberField
          label="Concurrent runs"
          value={meta.settings.concurrency}
          min={1}
          error={error('settings.concurrency')}
          onChange={(v) => setSettings({ concurrency: v })}
          testId="settings-concurrency"
        />
        <div className="field-row">
          <NumberField
            label="Rate limit: runs"
            value={rate?.max}
            min={1}
            onChange={(v) =>
              setSettings({
                rateLimit: v === undefined ? undefined : { max: v, perMs: rate?.perMs ?? 60_000 },
              })
            }
            testId="settings-rate-max"
          />
          <NumberField
            label="per (ms)"
            value={rate?.perMs}
            min={1}
            onChange={(v) =>
              setSettings({ rateLimit: rate && v !== undefined ? { max: rate.max, perMs: v } : rate })
            }
            testId="settings-rate-per"
          />
        </div>
      </div>
      <h4 className="panel__subtitle">Problems ({props.issues.length})</h4>
      {props.issues.length === 0 ? (
        <p className="muted" data-testid="no-problems">
          No problems: ready to publish.
        </p>
      ) : (
        <ul className="problems" data-testid="problem-list">
          {props.issues.map((issue, index) => (
            <li key={index}>
              {issue.nodeId ? (
                <button className="link" onClick={() => props.onSelectNode(issue.nodeId!)}>
                  {issue.message}
                </button>
              ) : (
                issue.message
              )}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
