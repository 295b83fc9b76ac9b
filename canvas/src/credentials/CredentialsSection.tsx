import { useState } from 'react';
import { api } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { ConfirmModal } from '../ui/Modal.js';
import {
  canManageCredentials,
  CREDENTIAL_TYPES,
  credentialsPath,
  invalidateCredentials,
  useCredentials,
  type Credential,
} from './api.js';
import { NewCredentialDialog } from './NewCredentialDialog.js';

/** Team & settings: the workspace's credentials (names and types; secrets never come back). */
export function CredentialsSection({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const admin = canManageCredentials(workspace.role);
  const { items, error } = useCredentials(workspace.id);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Credential | null>(null);
  const remove = async (credential: Credential): Promise<void> => {
    setDeleting(null);
    try {
      await api.delete(`${credentialsPath(workspace.id)}/${credential.id}`);
      invalidateCredentials(workspace.id);
      toast.show('success', `Credential “${credential.name}” deleted`);
    } catch (failure) {
      toast.error(failure);
    }
  };
  return (
    <section className="card section" data-testid="credentials">
      <div className="section__header">
        <h2>Credentials</h2>
        {admin && (
          <button
            className="btn btn--primary btn--small"
            onClick={() => setCreating(true)}
            data-testid="credential-new"
          >
            New credential
          </button>
        )}
      </div>
      <p className="muted">
        API keys, tokens and SMTP servers that nodes use by reference. Stored encrypted; never shown again.
      </p>
      {error !== null && !items ? (
        <p className="form-error">Credentials could not be loaded.</p>
      ) : !items ? (
        <Skeleton rows={2} />
      ) : items.length === 0 ? (
        <p className="muted" data-testid="credentials-empty">
          No credentials yet.
        </p>
      ) : (
        <table className="table">
          <tbody>
            {items.map((credential) => (
              <tr key={credential.id} data-testid={`credential-row-${credential.name}`}>
                <td className="table__main">{credential.name}</td>
                <td>{CREDENTIAL_TYPES[credential.type]?.title ?? credential.type}</td>
                <td>
                  <small>created {timeAgo(credential.createdAt)}</small>
                </td>
                <td className="table__actions">
                  {admin && (
                    <button
                      className="btn btn--ghost btn--small btn--danger-text"
                      onClick={() => setDeleting(credential)}
                      data-testid={`credential-delete-${credential.name}`}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewCredentialDialog
          workspaceId={workspace.id}
          onClose={() => setCreating(false)}
          onCreated={(credential) => {
            setCreating(false);
            toast.show('success', `Credential “${credential.name}” saved`);
          }}
        />
      )}
      {deleting && (
        <ConfirmModal
          title="Delete credential"
          text={`Delete “${deleting.name}”? Nodes that use it fail until they are given another one.`}
          confirm="Delete"
          danger
          onConfirm={() => void remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
