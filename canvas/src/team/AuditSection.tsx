import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { AuditEntry, List, WorkspaceSummary } from '../api/types.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

export function AuditSection({ workspace }: { workspace: WorkspaceSummary }) {
  const [action, setAction] = useState('');
  const filter = /^[a-z_]+\.[a-z_]+$/.test(action) ? `&action=${action}` : '';
  const log = useLoad(
    () => api.get<List<AuditEntry>>(`${ws(workspace.id)}/audit-log?limit=50${filter}`),
    [workspace.id, filter],
  );
  return (
    <section className="card section" data-testid="audit-log">
      <header className="section__header">
        <h2>Audit log</h2>
        <input
          className="search"
          placeholder="Filter by action, e.g. workflow.publish"
          value={action}
          onChange={(e) => setAction(e.target.value.trim())}
        />
      </header>
      {!log.data ? (
        <Skeleton rows={3} />
      ) : (
        <table className="table">
          <tbody>
            {log.data.items.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>{entry.actor.name ?? entry.actor.email ?? entry.actor.type}</td>
                <td>
                  <small className="muted">
                    {entry.target ? `${entry.target.type} ${entry.target.id.slice(0, 8)}` : ''}
                  </small>
                </td>
                <td>
                  <small>{timeAgo(entry.at)}</small>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
