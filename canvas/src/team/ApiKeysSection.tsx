import { useState, type FormEvent } from 'react';
import { api, ws } from '../api/client.js';
import type { ApiKey, List, WorkspaceSummary } from '../api/types.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CopyBox } from './CopyBox.js';

export function ApiKeysSection({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const { me } = useSession();
  // As the API allows: admins revoke any key, members only the keys they created.
  const mayRevoke = (key: ApiKey): boolean =>
    workspace.role === 'owner' || workspace.role === 'admin' || key.createdByUserId === me?.user.id;
  const base = `${ws(workspace.id)}/api-keys`;
  const keys = useLoad(() => api.get<List<ApiKey>>(base), [base]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiKey['role']>('member');
  const [secret, setSecret] = useState<string | null>(null);
  const create = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    try {
      const created = await api.post<ApiKey>(base, { name, role });
      setSecret(created.key ?? null);
      setName('');
      await keys.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const revoke = async (key: ApiKey): Promise<void> => {
    if (!window.confirm(`Revoke “${key.name}”? Scripts using it stop working at once.`)) return;
    try {
      await api.delete(`${base}/${key.id}`);
      await keys.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const roles: ApiKey['role'][] =
    workspace.role === 'member' ? ['viewer', 'member'] : ['viewer', 'member', 'admin'];
  return (
    <section className="card section" data-testid="api-keys">
      <h2>API keys</h2>
      <form className="inline-form" onSubmit={(event) => void create(event)}>
        <input
          required
          placeholder="Key name, e.g. CRM sync"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="key-name"
        />
        <select value={role} onChange={(e) => setRole(e.target.value as ApiKey['role'])}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button className="btn btn--primary" type="submit" data-testid="key-create">
          Create key
        </button>
      </form>
      {secret && (
        <CopyBox label="Copy this key now: it is not shown again." value={secret} testId="key-secret" />
      )}
      {!keys.data ? (
        <Skeleton rows={2} />
      ) : keys.data.items.length === 0 ? (
        <p className="muted">No API keys.</p>
      ) : (
        <table className="table">
          <tbody>
            {keys.data.items.map((key) => (
              <tr key={key.id}>
                <td className="table__main">{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{key.role}</td>
                <td>
                  <small>created {timeAgo(key.createdAt)}</small>
                </td>
                <td className="table__actions">
                  {mayRevoke(key) && (
                    <button
                      className="btn btn--ghost btn--small btn--danger-text"
                      onClick={() => void revoke(key)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
