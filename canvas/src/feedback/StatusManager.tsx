import { useState } from 'react';
import { useToast } from '../app/toasts.js';
import { useSession } from '../app/session.js';
import { useLoad } from '../ui/useLoad.js';
import { feedbackApi, type StatusKind } from './api.js';

const KINDS: StatusKind[] = ['open', 'planned', 'in_progress', 'shipped', 'declined'];

/** Instance admins: the board's statuses — custom names on the fixed kinds. */
export function StatusManager() {
  const toast = useToast();
  const { me } = useSession();
  const workspaceId = me?.workspaces[0]?.id ?? '';
  const { data, reload } = useLoad(() => feedbackApi.statuses(workspaceId), [workspaceId]);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<StatusKind>('planned');
  const add = async (): Promise<void> => {
    try {
      await feedbackApi.addStatus({ name, kind });
      setName('');
      await reload();
    } catch (failure) {
      toast.error(failure);
    }
  };
  return (
    <section className="card status-manager" data-testid="status-manager">
      <h3>Board statuses</h3>
      <ul className="status-manager__list">
        {(data?.items ?? []).map((s) => (
          <li key={s.id}>
            <span className={`status-chip status-chip--${s.kind}`}>{s.name}</span>{' '}
            <span className="muted small">{s.kind.replace('_', ' ')}</span>
          </li>
        ))}
      </ul>
      <div className="status-manager__add">
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="New status name"
          maxLength={60}
          aria-label="Status name"
        />
        <select value={kind} onChange={(e) => setKind(e.target.value as StatusKind)} aria-label="Kind">
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k.replace('_', ' ')}
            </option>
          ))}
        </select>
        <button className="btn btn--small" disabled={name.trim() === ''} onClick={() => void add()}>
          Add
        </button>
      </div>
    </section>
  );
}
