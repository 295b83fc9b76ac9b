import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { List, WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

export type WorkItemKind = 'task' | 'ticket';

/** A task or ticket as GET .../tasks and .../tickets answer (api/work-items/routes.ts). */
export interface WorkItem {
  id: string;
  kind: WorkItemKind;
  title: string;
  description: string;
  status: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  assignee?: string;
  dueAt?: string;
  requester?: string;
  data: unknown;
  createdAt: string;
  /** The run whose tasks.create / tickets.create step made it, when the server says. */
  runId?: string;
}

/** What "finished" means for each kind. */
const FINISHED: Record<WorkItemKind, { status: string; action: string }> = {
  task: { status: 'done', action: 'Mark done' },
  ticket: { status: 'closed', action: 'Close' },
};
/** The statuses a person can set (api/work-items/store.ts), per kind. */
const STATUSES: Record<WorkItemKind, string[]> = {
  task: ['open', 'in_progress', 'done'],
  ticket: ['open', 'pending', 'closed'],
};

/** Revflow's own tasks and tickets, as workflows create them (issue 5). */
export function WorkItemsPage({ workspace, kind }: { workspace: WorkspaceSummary; kind: WorkItemKind }) {
  const toast = useToast();
  const [status, setStatus] = useState('open');
  // Members and above change statuses (PATCH .../tasks/:taskId); viewers only look.
  const editable = workspace.role !== 'viewer';
  const base = `${ws(workspace.id)}/${kind}s`;
  const items = useLoad(() => {
    const params = new URLSearchParams({ limit: '200' });
    if (status) params.set('status', status);
    return api.get<List<WorkItem>>(`${base}?${params}`);
  }, [base, status]);
  const finish = async (item: WorkItem): Promise<void> => {
    try {
      await api.patch(`${base}/${item.id}`, { status: FINISHED[kind].status });
      toast.show('success', `“${item.title}” ${FINISHED[kind].status}`);
      await items.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const list = items.data?.items ?? [];
  return (
    <div className="page" data-testid="work-items-page">
      <PageHeader title="Tasks & tickets">
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="work-items-status">
          <option value="">Any status</option>
          {STATUSES[kind].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button className="btn" onClick={() => void items.reload()}>
          Refresh
        </button>
      </PageHeader>
      <div className="tabs" role="tablist">
        {(['task', 'ticket'] as const).map((k) => (
          <Link
            key={k}
            to={`/w/${workspace.id}/${k}s`}
            className={`tabs__link${k === kind ? ' on' : ''}`}
            testId={`work-items-tab-${k}`}
          >
            {k === 'task' ? 'Tasks' : 'Tickets'}
          </Link>
        ))}
      </div>
      {items.error ? (
        <p className="form-error">{items.error}</p>
      ) : items.loading && !items.data ? (
        <Skeleton rows={5} />
      ) : list.length === 0 ? (
        <Empty title={status ? `No ${status} ${kind}s` : `No ${kind}s yet`}>
          <p>
            Workflows add {kind}s with the{' '}
            <strong>{kind === 'task' ? 'Create task' : 'Create ticket'}</strong> node.
          </p>
        </Empty>
      ) : (
        <table className="table" data-testid="work-items-list">
          <thead>
            <tr>
              <th>{kind === 'task' ? 'Task' : 'Ticket'}</th>
              <th>Status</th>
              <th>Priority</th>
              <th>{kind === 'task' ? 'Assignee' : 'Requester'}</th>
              <th>{kind === 'task' ? 'Due' : 'Opened'}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.id} data-testid="work-item-row">
                <td className="table__main">
                  <span data-testid="work-item-title">{item.title}</span>
                  {item.description && <small className="work-item__description">{item.description}</small>}
                </td>
                <td>
                  <Badge status={item.status} />
                </td>
                <td>
                  <span className={`priority priority--${item.priority}`}>{item.priority}</span>
                </td>
                <td>{(kind === 'task' ? item.assignee : item.requester) ?? '—'}</td>
                <td>
                  {kind === 'task'
                    ? item.dueAt
                      ? new Date(item.dueAt).toLocaleDateString()
                      : '—'
                    : timeAgo(item.createdAt)}
                </td>
                <td className="table__actions">
                  {item.runId && (
                    <Link
                      to={`/w/${workspace.id}/runs/${item.runId}`}
                      className="btn btn--ghost btn--small"
                      testId="work-item-run"
                    >
                      Run
                    </Link>
                  )}
                  {editable && item.status !== FINISHED[kind].status && (
                    <button
                      className="btn btn--small"
                      onClick={() => void finish(item)}
                      data-testid="work-item-finish"
                    >
                      {FINISHED[kind].action}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
