import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { List, Run, RunStatus, WorkflowSummary, WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, duration, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

const STATUSES: RunStatus[] = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
];

/** Runs of the workspace, newest first, filtered by workflow and status, paged by cursor. */
export function RunsPage({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const [workflowId, setWorkflowId] = useState('');
  const [status, setStatus] = useState('');
  const [more, setMore] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const workflows = useLoad(
    () => api.get<List<WorkflowSummary>>(`${ws(workspace.id)}/workflows`),
    [workspace.id],
  );
  const query = (after?: string): string => {
    const params = new URLSearchParams({ limit: '50' });
    if (workflowId) params.set('workflowId', workflowId);
    if (status) params.set('status', status);
    if (after) params.set('cursor', after);
    return `${ws(workspace.id)}/runs?${params}`;
  };
  const runs = useLoad(async () => {
    const page = await api.get<List<Run>>(query());
    setMore([]);
    setCursor(page.nextCursor ?? null);
    return page;
  }, [workspace.id, workflowId, status]);
  const names = new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name]));
  const items = [...(runs.data?.items ?? []), ...more];
  const loadMore = async (): Promise<void> => {
    if (!cursor) return;
    try {
      const page = await api.get<List<Run>>(query(cursor));
      setMore((list) => [...list, ...page.items]);
      setCursor(page.nextCursor ?? null);
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <div className="page" data-testid="runs-page">
      <PageHeader title="Runs">
        <select
          value={workflowId}
          onChange={(e) => setWorkflowId(e.target.value)}
          data-testid="runs-filter-workflow"
        >
          <option value="">All workflows</option>
          {(workflows.data?.items ?? []).map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="runs-filter-status">
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
        <button className="btn" onClick={() => void runs.reload()}>
          Refresh
        </button>
      </PageHeader>
      {runs.loading && !runs.data ? (
        <Skeleton rows={6} />
      ) : items.length === 0 ? (
        <Empty title="No runs yet">
          <p>Publish a workflow and press Run, or activate it so its triggers start runs.</p>
        </Empty>
      ) : (
        <table className="table table--clickable" data-testid="runs-list">
          <thead>
            <tr>
              <th>Status</th>
              <th>Workflow</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Trigger</th>
            </tr>
          </thead>
          <tbody>
            {items.map((run) => (
              <tr
                key={run.id}
                onClick={() => navigate(`/w/${workspace.id}/runs/${run.id}`)}
                data-testid="run-row"
              >
                <td>
                  <Badge status={run.status} />
                  {run.retryOf && <small className="muted"> retry</small>}
                </td>
                <td className="table__main">{names.get(run.workflowId) ?? run.workflowId.slice(0, 8)}</td>
                <td>{timeAgo(run.createdAt)}</td>
                <td>
                  {run.startedAt && run.finishedAt
                    ? duration(new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime())
                    : '—'}
                </td>
                <td>
                  <code>{run.triggerNodeId}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button className="btn" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </div>
  );
}
