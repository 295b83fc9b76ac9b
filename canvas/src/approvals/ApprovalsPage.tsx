import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { List, WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

/** An approval as GET .../approvals answers (api/approvals/routes.ts). */
export interface Approval {
  id: string;
  runId: string;
  workflowId: string;
  nodeId: string;
  title: string;
  description: string;
  approvers: string[];
  status: 'pending' | 'approved' | 'rejected' | 'timed_out' | 'cancelled';
  decidedByEmail: string | null;
  decidedAt: string | null;
  comment: string | null;
  expiresAt: string | null;
  createdAt: string;
}

const FILTERS = [
  { value: 'pending', label: 'Pending' },
  { value: 'all', label: 'All' },
];

/** What flow.approval steps ask people: approve or reject, with a comment (issue 5). */
export function ApprovalsPage({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const { me } = useSession();
  const [status, setStatus] = useState('pending');
  const [comments, setComments] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const base = `${ws(workspace.id)}/approvals`;
  const approvals = useLoad(
    () => api.get<List<Approval>>(`${base}?status=${status}&limit=200`),
    [base, status],
  );
  const email = me?.user.email.toLowerCase() ?? '';
  const mayDecide = (approval: Approval): boolean =>
    workspace.role !== 'viewer' &&
    approval.status === 'pending' &&
    (approval.approvers.length === 0 || approval.approvers.includes(email));

  const decide = async (approval: Approval, verb: 'approve' | 'reject'): Promise<void> => {
    setBusy(approval.id);
    try {
      const comment = comments[approval.id]?.trim();
      await api.post(`${base}/${approval.id}/${verb}`, comment ? { comment } : {});
      toast.show('success', `“${approval.title}” ${verb === 'approve' ? 'approved' : 'rejected'}`);
      await approvals.reload();
    } catch (error) {
      toast.error(error);
      await approvals.reload();
    } finally {
      setBusy(null);
    }
  };

  const list = approvals.data?.items ?? [];
  return (
    <div className="page" data-testid="approvals-page">
      <PageHeader title="Approvals">
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="approvals-filter">
          {FILTERS.map((filter) => (
            <option key={filter.value} value={filter.value}>
              {filter.label}
            </option>
          ))}
        </select>
        <button className="btn" onClick={() => void approvals.reload()}>
          Refresh
        </button>
      </PageHeader>
      {approvals.error ? (
        <p className="form-error">{approvals.error}</p>
      ) : approvals.loading && !approvals.data ? (
        <Skeleton rows={4} />
      ) : list.length === 0 ? (
        <Empty title={status === 'pending' ? 'Nothing waits for a decision' : 'No approvals yet'}>
          <p>
            Workflows ask with the <strong>Approval</strong> node; their requests appear here.
          </p>
        </Empty>
      ) : (
        <table className="table" data-testid="approvals-list">
          <thead>
            <tr>
              <th>Request</th>
              <th>Status</th>
              <th>Asked</th>
              <th>Decision</th>
            </tr>
          </thead>
          <tbody>
            {list.map((approval) => (
              <tr key={approval.id} data-testid={`approval-${approval.id}`}>
                <td>
                  <strong>{approval.title}</strong>
                  {approval.description && <div className="muted">{approval.description}</div>}
                  <div className="muted">
                    <Link to={`/w/${workspace.id}/runs/${approval.runId}`}>Run</Link>
                    {approval.approvers.length > 0 && <> · approvers: {approval.approvers.join(', ')}</>}
                    {approval.expiresAt && <> · expires {new Date(approval.expiresAt).toLocaleString()}</>}
                  </div>
                </td>
                <td>
                  <Badge status={approval.status} />
                </td>
                <td>{timeAgo(approval.createdAt)}</td>
                <td>
                  {mayDecide(approval) ? (
                    <div className="row-actions">
                      <input
                        placeholder="Comment (optional)"
                        aria-label="Comment"
                        value={comments[approval.id] ?? ''}
                        onChange={(e) => setComments({ ...comments, [approval.id]: e.target.value })}
                        data-testid="approval-comment"
                      />
                      <button
                        className="btn btn--primary btn--small"
                        disabled={busy === approval.id}
                        onClick={() => void decide(approval, 'approve')}
                        data-testid="approval-approve"
                      >
                        Approve
                      </button>
                      <button
                        className="btn btn--danger btn--small"
                        disabled={busy === approval.id}
                        onClick={() => void decide(approval, 'reject')}
                        data-testid="approval-reject"
                      >
                        Reject
                      </button>
                    </div>
                  ) : approval.decidedAt ? (
                    <span className="muted">
                      {approval.decidedByEmail ?? 'automatically'} · {timeAgo(approval.decidedAt)}
                      {approval.comment && <> · “{approval.comment}”</>}
                    </span>
                  ) : (
                    <span className="muted">
                      {workspace.role === 'viewer' ? 'Viewers cannot decide' : 'Only the approvers decide'}
                    </span>
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
