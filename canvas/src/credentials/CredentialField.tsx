import { useState } from 'react';
import { NewCredentialDialog } from './NewCredentialDialog.js';
import {
  canManageCredentials,
  CREDENTIAL_TYPES,
  isCredentialType,
  useCredentialScope,
  useCredentials,
  type CredentialType,
} from './api.js';

const NEW = '__new';

/**
 * A node config field that holds a credential id: a select of the workspace's credentials of
 * the types the node accepts, and (for admins) "New credential…" to create one on the spot.
 */
export function CredentialField(props: {
  value: string | undefined;
  types: unknown;
  onChange: (value: string | undefined) => void;
  testId: string;
}) {
  const scope = useCredentialScope();
  const viewer = scope?.role === 'viewer';
  const { items, error } = useCredentials(scope?.workspaceId ?? '', !viewer);
  const [creating, setCreating] = useState(false);
  const types: CredentialType[] = Array.isArray(props.types) ? props.types.filter(isCredentialType) : [];
  const usable = (items ?? []).filter((c) => types.length === 0 || types.includes(c.type));
  const known = usable.some((c) => c.id === props.value);
  const admin = scope !== null && canManageCredentials(scope.role);
  return (
    <>
      <select
        value={props.value ?? ''}
        onChange={(e) => {
          if (e.target.value === NEW) setCreating(true);
          else props.onChange(e.target.value === '' ? undefined : e.target.value);
        }}
        disabled={!scope || viewer}
        data-testid={props.testId}
      >
        <option value="">{items || viewer ? '— none —' : 'Loading credentials…'}</option>
        {usable.map((credential) => (
          <option key={credential.id} value={credential.id}>
            {credential.name} · {CREDENTIAL_TYPES[credential.type].title}
          </option>
        ))}
        {props.value && !known && (items || viewer) && (
          <option value={props.value}>
            {viewer ? 'A credential' : 'Unknown credential'} ({props.value.slice(0, 8)}…)
          </option>
        )}
        {admin && <option value={NEW}>New credential…</option>}
      </select>
      {error !== null && <small className="field__error">Credentials could not be loaded.</small>}
      {creating && scope && (
        <NewCredentialDialog
          workspaceId={scope.workspaceId}
          types={types}
          onClose={() => setCreating(false)}
          onCreated={(credential) => {
            setCreating(false);
            props.onChange(credential.id);
          }}
        />
      )}
    </>
  );
}
