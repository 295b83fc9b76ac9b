import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { outboundApi, type LeadFilter } from './api.js';

const STATUSES = ['new', 'contacted', 'replied', 'meeting', 'won', 'lost', 'unsubscribed', 'bounced'];

/** The Leads table: filters, export, enrol the selected leads in a campaign, retrain the score. */
export function LeadsView({ workspace, canEdit }: { workspace: WorkspaceSummary; canEdit: boolean }) {
  const toast = useToast();
  const [filter, setFilter] = useState<LeadFilter>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [campaign, setCampaign] = useState('');
  const [busy, setBusy] = useState(false);
  const leads = useLoad(
    () => outboundApi.leads(workspace.id, { ...filter, limit: 200 }),
    [workspace.id, JSON.stringify(filter)],
  );
  const workflows = useLoad(
    () =>
      api.get<{ items: Array<{ id: string; name: string; publishedVersionId?: string | null }> }>(
        `${ws(workspace.id)}/workflows`,
      ),
    [workspace.id],
  );
  const items = leads.data?.items ?? [];
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const enroll = async () => {
    if (!campaign || selected.size === 0) return;
    setBusy(true);
    try {
      const result = await outboundApi.enroll(workspace.id, campaign, [...selected]);
      toast.show('success', `Enrolled ${result.started} of ${result.requested} lead(s)`);
      setSelected(new Set());
      setTimeout(() => void leads.reload(), 800);
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  const retrain = async () => {
    setBusy(true);
    try {
      const result = await outboundApi.retrain(workspace.id);
      toast.show(
        'success',
        `Score retrained on ${result.examples} outcome(s)${result.auc === null ? '' : `, AUC ${result.auc.toFixed(2)}`}`,
      );
      await leads.reload();
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section data-testid="outbound-leads">
      <div className="outbound__filters">
        <input
          type="search"
          placeholder="Search email, name, company"
          aria-label="Search leads"
          data-testid="leads-search"
          value={filter.q ?? ''}
          onChange={(event) => setFilter({ ...filter, q: event.target.value })}
        />
        <select
          aria-label="Status"
          data-testid="leads-status"
          value={filter.status ?? ''}
          onChange={(event) => setFilter({ ...filter, status: event.target.value || undefined })}
        >
          <option value="">Any status</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
        <input
          type="number"
          min={0}
          max={100}
          placeholder="Min score"
          aria-label="Minimum score"
          value={filter.minScore ?? ''}
          onChange={(event) =>
            setFilter({
              ...filter,
              minScore: event.target.value === '' ? undefined : Number(event.target.value),
            })
          }
        />
        <a
          className="btn"
          href={outboundApi.exportUrl(workspace.id, filter)}
          data-testid="leads-export"
          download
        >
          Export CSV
        </a>
        {canEdit && (
          <button
            type="button"
            className="btn"
            onClick={() => void retrain()}
            disabled={busy}
            data-testid="score-retrain"
          >
            Retrain score
          </button>
        )}
      </div>
      {canEdit && (
        <div className="outbound__enroll card">
          <span>{selected.size} selected</span>
          <select
            aria-label="Campaign"
            data-testid="enroll-campaign"
            value={campaign}
            onChange={(event) => setCampaign(event.target.value)}
          >
            <option value="">Choose a campaign workflow…</option>
            {(workflows.data?.items ?? []).map((workflow) => (
              <option key={workflow.id} value={workflow.id}>
                {workflow.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy || !campaign || selected.size === 0}
            onClick={() => void enroll()}
            data-testid="enroll-submit"
          >
            Enrol
          </button>
        </div>
      )}
      {leads.error && <p className="form-error">{leads.error}</p>}
      {!leads.data && leads.loading ? (
        <Skeleton />
      ) : items.length === 0 ? (
        <Empty title="No leads yet">
          <p className="muted">
            Import a CSV or add leads through the API; a workflow can create them from events too.
          </p>
        </Empty>
      ) : (
        <div className="outbound__table-wrap card">
          <table className="table table--clickable" data-testid="leads-table">
            <thead>
              <tr>
                {canEdit && (
                  <th aria-label="Select">
                    <input
                      type="checkbox"
                      aria-label="Select all"
                      data-testid="leads-select-all"
                      checked={items.length > 0 && items.every((lead) => selected.has(lead.id))}
                      onChange={(event) =>
                        setSelected(event.target.checked ? new Set(items.map((lead) => lead.id)) : new Set())
                      }
                    />
                  </th>
                )}
                <th>Lead</th>
                <th className="outbound__hide-narrow">Company</th>
                <th className="outbound__hide-narrow">Title</th>
                <th>Status</th>
                <th>Score</th>
              </tr>
            </thead>
            <tbody>
              {items.map((lead) => (
                <tr
                  key={lead.id}
                  data-testid={`lead-row-${lead.email}`}
                  onClick={() => navigate(`/w/${workspace.id}/outbound/leads/${lead.id}`)}
                >
                  {canEdit && (
                    <td onClick={(event) => event.stopPropagation()}>
                      <input
                        type="checkbox"
                        aria-label={`Select ${lead.email}`}
                        checked={selected.has(lead.id)}
                        onChange={() => toggle(lead.id)}
                      />
                    </td>
                  )}
                  <td className="table__main">
                    <div>{lead.name ?? lead.email}</div>
                    <small className="muted">{lead.email}</small>
                  </td>
                  <td className="outbound__hide-narrow">{lead.company ?? '—'}</td>
                  <td className="outbound__hide-narrow">{lead.title ?? '—'}</td>
                  <td>
                    <Badge status={lead.status} />
                  </td>
                  <td data-testid="lead-score">{lead.score ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted outbound__count">{leads.data?.total ?? 0} lead(s)</p>
        </div>
      )}
    </section>
  );
}
