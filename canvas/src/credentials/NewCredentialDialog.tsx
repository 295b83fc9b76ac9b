import { useState, type FormEvent } from 'react';
import { api, ApiError, messageOf } from '../api/client.js';
import { Modal } from '../ui/Modal.js';
import {
  ALL_CREDENTIAL_TYPES,
  CREDENTIAL_TYPES,
  credentialsPath,
  invalidateCredentials,
  type Credential,
  type CredentialInput,
  type CredentialType,
} from './api.js';

type Values = Record<string, string | number | boolean>;

const initialValues = (type: CredentialType): Values =>
  Object.fromEntries(
    CREDENTIAL_TYPES[type].inputs.map((input) => [
      input.key,
      input.initial ?? (input.kind === 'boolean' ? false : ''),
    ]),
  );

/** The data to send: empty optional text fields are left out. */
function dataOf(type: CredentialType, values: Values): Record<string, string | number | boolean> {
  const data: Record<string, string | number | boolean> = {};
  for (const input of CREDENTIAL_TYPES[type].inputs) {
    const value = values[input.key];
    if (value === undefined || value === '') continue;
    data[input.key] = input.kind === 'number' ? Number(value) : value;
  }
  return data;
}

/**
 * Create a credential: a name, a type (among `types`) and its secret data. The secret goes to
 * the server once and is never shown again.
 */
export function NewCredentialDialog(props: {
  workspaceId: string;
  types?: CredentialType[];
  onClose: () => void;
  onCreated: (credential: Credential) => void;
}) {
  const types = props.types && props.types.length > 0 ? props.types : ALL_CREDENTIAL_TYPES;
  const [type, setType] = useState<CredentialType>(types[0]!);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Values>(() => initialValues(types[0]!));
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event?: FormEvent): Promise<void> => {
    event?.preventDefault();
    setBusy(true);
    try {
      const created = await api.post<Credential>(credentialsPath(props.workspaceId), {
        name: name.trim(),
        type,
        data: dataOf(type, values),
      });
      invalidateCredentials(props.workspaceId);
      props.onCreated(created);
    } catch (error) {
      const fields = new Map<string, string>();
      if (error instanceof ApiError)
        for (const param of error.problem.invalidParams ?? [])
          fields.set(param.name.replace(/^body\./, '').replace(/^data\./, ''), param.reason);
      setErrors(fields);
      setFailure(fields.size > 0 ? null : messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  const field = (input: CredentialInput) => {
    const value = values[input.key];
    const set = (next: string | number | boolean): void => setValues((v) => ({ ...v, [input.key]: next }));
    const error = errors.get(input.key);
    return (
      <label key={input.key} className={`field${error ? ' field--invalid' : ''}`}>
        <span className="field__label">
          {input.label}
          {input.required && <em className="required">*</em>}
        </span>
        {input.kind === 'boolean' ? (
          <span className="switch">
            <input
              type="checkbox"
              checked={value === true}
              onChange={(e) => set(e.target.checked)}
              data-testid={`credential-${input.key}`}
            />
            <span>{value === true ? 'On' : 'Off'}</span>
          </span>
        ) : (
          <input
            type={input.kind === 'secret' ? 'password' : input.kind === 'number' ? 'number' : 'text'}
            autoComplete={input.kind === 'secret' ? 'new-password' : 'off'}
            required={input.required}
            placeholder={input.placeholder}
            value={typeof value === 'boolean' ? '' : value}
            onChange={(e) => set(e.target.value)}
            data-testid={`credential-${input.key}`}
          />
        )}
        {error && <small className="field__error">{error}</small>}
      </label>
    );
  };

  return (
    <Modal
      title="New credential"
      onClose={props.onClose}
      testId="credential-dialog"
      footer={
        <>
          <button className="btn btn--ghost" type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            className="btn btn--primary"
            type="submit"
            form="credential-form"
            disabled={busy}
            data-testid="credential-save"
          >
            {busy ? 'Saving…' : 'Save credential'}
          </button>
        </>
      }
    >
      <form id="credential-form" onSubmit={(event) => void submit(event)}>
        <p className="muted">
          Stored encrypted. Nodes use it by reference; nobody can read the secret back, not even admins.
        </p>
        <label className={`field${errors.get('name') ? ' field--invalid' : ''}`}>
          <span className="field__label">
            Name<em className="required">*</em>
          </span>
          <input
            required
            autoFocus
            value={name}
            placeholder={type === 'smtp' ? 'e.g. Postmark' : 'e.g. HubSpot API'}
            onChange={(e) => setName(e.target.value)}
            data-testid="credential-name"
          />
          {errors.get('name') && <small className="field__error">{errors.get('name')}</small>}
        </label>
        {types.length > 1 && (
          <label className="field">
            <span className="field__label">Type</span>
            <select
              value={type}
              onChange={(e) => {
                const next = e.target.value as CredentialType;
                setType(next);
                setValues(initialValues(next));
                setErrors(new Map());
              }}
              data-testid="credential-type"
            >
              {types.map((t) => (
                <option key={t} value={t}>
                  {CREDENTIAL_TYPES[t].title}
                </option>
              ))}
            </select>
          </label>
        )}
        {CREDENTIAL_TYPES[type].inputs.map(field)}
        {failure && (
          <p className="form-error" data-testid="credential-error">
            {failure}
          </p>
        )}
      </form>
    </Modal>
  );
}
