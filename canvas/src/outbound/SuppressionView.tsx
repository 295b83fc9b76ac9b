import { useState, type FormEvent } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { outboundApi } from './api.js';

/** The suppression list: addresses that are never mailed (checked before every send). */
export function SuppressionView({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const [q, setQ] = useState('');
  const [email, setEmail] = useState('');
  const list = useLoad(() => outboundApi.suppressions(workspace.id, q || undefined), [workspace.id, q]);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await outboundApi.suppress(workspace.id, email);
      setEmail('');
      await list.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const remove = async (address: string) => {
    try {
      await outboundApi.unsuppress(workspace.id, address);
      await list.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const isAdmin = workspace.role === 'admin' || workspace.role === 'owner';
  return (
    <section data-testid="outbound-suppression">
      {workspace.role !== 'viewer' && (
        <form className="inline-form" onSubmit={(event) => void add(event)}>
          <input
            type="email"
            required
            placeholder="name@example.com"
            aria-label="Address to suppress"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            data-testid="suppress-email"
          />
          <button type="submit" className="btn btn--primary" data-testid="suppress-submit">
            Suppress
          </button>
        </form>
      )}
      <input
        type="search"
        placeholder="Search"
        aria-label="Search suppressed addresses"
        value={q}
        onChange={(event) => setQ(event.target.value)}
      />
      {!list.data ? (
        <Skeleton />
      ) : list.data.items.length === 0 ? (
        <Empty title="Nobody is suppressed">
          <p className="muted">Unsubscribes, bounces and complaints land here on their own.</p>
        </Empty>
      ) : (
        <div className="outbound__table-wrap card">
          <table className="table" data-testid="suppression-table">
            <thead>
              <tr>
                <th>Address</th>
                <th>Reason</th>
                <th className="outbound__hide-narrow">Since</th>
                {isAdmin && <th aria-label="Actions" />}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((item) => (
                <tr key={item.email}>
                  <td className="table__main">{item.email}</td>
                  <td>
                    <Badge status={item.reason} />
                  </td>
                  <td className="outbound__hide-narrow">{timeAgo(item.createdAt)}</td>
                  {isAdmin && (
                    <td className="table__actions">
                      <button
                        type="button"
                        className="btn btn--small btn--ghost"
                        onClick={() => void remove(item.email)}
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
