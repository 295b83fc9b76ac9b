import { useState } from 'react';
import { messageOf } from '../api/client.js';
import { useToast } from '../app/toasts.js';
import { Link } from '../app/router.js';
import {
  guardrailTitles,
  guardrailTypes,
  kindTitles,
  outboundKinds,
  safetyApi,
  type Affected,
  type GuardrailType,
  type OutboundKind,
  type Requirement,
  type SafetyPolicy,
} from './api.js';

/** Which guardrails each outbound kind must pass; admins edit, members read. */
export function PolicyEditor(props: {
  workspaceId: string;
  initial: SafetyPolicy;
  canEdit: boolean;
  onSaved: (affected: Affected[]) => void;
}) {
  const toast = useToast();
  const [policy, setPolicy] = useState<SafetyPolicy>(props.initial);
  const [saving, setSaving] = useState(false);
  const requirement = (kind: OutboundKind, type: GuardrailType): Requirement | undefined =>
    policy.rules[kind]?.find((r) => r.type === type);
  const update = (kind: OutboundKind, type: GuardrailType, next: Requirement | undefined): void => {
    setPolicy((current) => {
      const list = (current.rules[kind] ?? []).filter((r) => r.type !== type);
      return { rules: { ...current.rules, [kind]: next ? [...list, next] : list } };
    });
  };
  const save = async (): Promise<void> => {
    setSaving(true);
    try {
      const cleaned: SafetyPolicy = {
        rules: Object.fromEntries(Object.entries(policy.rules).filter(([, list]) => list && list.length > 0)),
      };
      const saved = await safetyApi.savePolicy(props.workspaceId, cleaned);
      toast.show('success', `Policy saved (version ${saved.version})`);
      props.onSaved(saved.affected);
    } catch (error) {
      toast.show('error', messageOf(error));
    } finally {
      setSaving(false);
    }
  };
  return (
    <section className="card section" data-testid="safety-policy">
      <h2>Safety policy</h2>
      <p className="muted">
        Every path from a trigger to a node of each kind must pass these guardrails (through their{' '}
        <code>pass</code> port). Publishing refuses workflows that break it, and running workflows are stopped
        before they send.
      </p>
      <div className="safety__policy-grid">
        {outboundKinds.map((kind) => (
          <fieldset
            key={kind}
            className="safety__kind"
            data-testid={`policy-${kind}`}
            disabled={!props.canEdit}
          >
            <legend>{kindTitles[kind]}</legend>
            {guardrailTypes.map((type) => {
              const current = requirement(kind, type);
              return (
                <div key={type} className="safety__req">
                  <label>
                    <input
                      type="checkbox"
                      checked={current !== undefined}
                      data-testid={`policy-${kind}-${type}`}
                      onChange={(event) => update(kind, type, event.target.checked ? { type } : undefined)}
                    />{' '}
                    {guardrailTitles[type]}
                  </label>
                  {current && type === 'safety.pii' ? (
                    <label className="safety__min">
                      threshold ≤{' '}
                      <input
                        type="number"
                        min={0}
                        max={1}
                        step={0.05}
                        value={current.maxThreshold ?? ''}
                        placeholder="any"
                        aria-label={`${kindTitles[kind]} PII maximum threshold`}
                        onChange={(event) =>
                          update(kind, type, {
                            ...current,
                            ...(event.target.value === ''
                              ? { maxThreshold: undefined }
                              : { maxThreshold: Number(event.target.value) }),
                          })
                        }
                      />
                    </label>
                  ) : null}
                  {current && type === 'safety.promptInjection' ? (
                    <label className="safety__min">
                      sensitivity ≥{' '}
                      <select
                        value={current.minSensitivity ?? ''}
                        aria-label={`${kindTitles[kind]} minimum sensitivity`}
                        onChange={(event) => {
                          const value = event.target.value as 'low' | 'medium' | 'high' | '';
                          const { minSensitivity: _dropped, ...rest } = current;
                          void _dropped;
                          update(kind, type, value ? { ...rest, minSensitivity: value } : rest);
                        }}
                      >
                        <option value="">any</option>
                        <option value="low">low</option>
                        <option value="medium">medium</option>
                        <option value="high">high</option>
                      </select>
                    </label>
                  ) : null}
                </div>
              );
            })}
          </fieldset>
        ))}
      </div>
      {props.canEdit ? (
        <button
          className="btn btn--primary"
          disabled={saving}
          onClick={() => void save()}
          data-testid="save-policy"
        >
          {saving ? 'Saving…' : 'Save policy'}
        </button>
      ) : (
        <p className="muted" data-testid="policy-readonly">
          Only admins change the policy.
        </p>
      )}
    </section>
  );
}

export function AffectedList({ workspaceId, items }: { workspaceId: string; items: Affected[] }) {
  if (items.length === 0) return null;
  return (
    <section className="card section safety__affected" data-testid="safety-affected">
      <h2>Active workflows stopped from sending ({items.length})</h2>
      <ul>
        {items.map((item) => (
          <li key={item.workflowId}>
            <Link to={`/w/${workspaceId}/workflows/${item.workflowId}`}>{item.name}</Link>
            {item.violations.map((v) => (
              <div key={`${v.nodeId}-${v.missing}`} className="muted">
                {v.nodeId} ({v.kind}) needs {v.missing}: {v.path.join(' → ')}
              </div>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}
