import { useState } from 'react';
import { api, ws } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { outboundSequenceTemplate } from '../../templates/outbound.js';
import { outboundApi, pct, type CampaignStats } from './api.js';

function totals(stats: CampaignStats) {
  const sends = stats.funnel.reduce((sum, step) => sum + step.sends, 0);
  const replies = stats.funnel.reduce((sum, step) => sum + step.replies, 0);
  return { sends, replies };
}

/** Campaigns: each is a workflow; a new one starts from the "Outbound sequence" template. */
export function CampaignsView({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const campaigns = useLoad(() => outboundApi.campaigns(workspace.id), [workspace.id]);
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    try {
      const created = await api.post<{ id: string }>(
        `${ws(workspace.id)}/workflows`,
        outboundSequenceTemplate.document,
      );
      navigate(`/w/${workspace.id}/workflows/${created.id}`);
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  const items = campaigns.data?.items ?? [];
  return (
    <section data-testid="outbound-campaigns">
      {workspace.role !== 'viewer' && (
        <div className="outbound__row">
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy}
            onClick={() => void create()}
            data-testid="campaign-new"
          >
            New campaign from “Outbound sequence”
          </button>
          <span className="muted">Publish and activate it, then enrol leads from the Leads tab.</span>
        </div>
      )}
      {campaigns.error && <p className="form-error">{campaigns.error}</p>}
      {!campaigns.data ? (
        <Skeleton />
      ) : items.length === 0 ? (
        <Empty title="No campaigns yet">
          <p className="muted">A campaign appears here when its workflow enrols its first lead.</p>
        </Empty>
      ) : (
        <div className="outbound__table-wrap card">
          <table className="table table--clickable" data-testid="campaigns-table">
            <thead>
              <tr>
                <th>Campaign</th>
                <th>Status</th>
                <th>Enrolled</th>
                <th>Sends</th>
                <th>Replies</th>
              </tr>
            </thead>
            <tbody>
              {items.map((stats) => {
                const { sends, replies } = totals(stats);
                return (
                  <tr
                    key={stats.campaign.id}
                    data-testid={`campaign-row-${stats.campaign.name}`}
                    onClick={() => navigate(`/w/${workspace.id}/outbound/campaigns/${stats.campaign.id}`)}
                  >
                    <td className="table__main">{stats.campaign.name}</td>
                    <td>
                      <Badge status={stats.campaign.status} />
                    </td>
                    <td>{stats.enrolled.total}</td>
                    <td>{sends}</td>
                    <td>
                      {replies} {sends > 0 && <span className="muted">({pct(replies / sends)})</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One campaign: per-variant sends, replies, reply rate with its 95% interval, posterior share; the per-step funnel. */
export function CampaignDetail({
  workspace,
  campaignId,
}: {
  workspace: WorkspaceSummary;
  campaignId: string;
}) {
  const toast = useToast();
  const stats = useLoad(() => outboundApi.campaign(workspace.id, campaignId), [workspace.id, campaignId]);
  if (stats.error) return <p className="form-error">{stats.error}</p>;
  if (!stats.data) return <Skeleton />;
  const { campaign, variants, funnel, enrolled } = stats.data;
  const setStatus = async (status: string) => {
    try {
      await outboundApi.setCampaignStatus(workspace.id, campaign.id, status);
      await stats.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const first = funnel[0]?.sends ?? 0;
  return (
    <section data-testid="campaign-detail">
      <p>
        <Link to={`/w/${workspace.id}/outbound/campaigns`}>← Campaigns</Link>
      </p>
      <div className="outbound__row">
        <h2 className="outbound__title">{campaign.name}</h2>
        <Badge status={campaign.status} testId="campaign-status" />
        <Link to={`/w/${workspace.id}/workflows/${campaign.workflowId}`} className="btn btn--small">
          Open workflow
        </Link>
        {workspace.role !== 'viewer' &&
          (campaign.status === 'active' ? (
            <button type="button" className="btn btn--small" onClick={() => void setStatus('paused')}>
              Pause
            </button>
          ) : (
            <button type="button" className="btn btn--small" onClick={() => void setStatus('active')}>
              Activate
            </button>
          ))}
        <button
          type="button"
          className="btn btn--small btn--ghost"
          onClick={() => void stats.reload()}
          data-testid="campaign-refresh"
        >
          Refresh
        </button>
      </div>
      <p className="muted">
        {enrolled.total} enrolled · {enrolled.active} in sequence ·{' '}
        {Object.entries(enrolled.stopped)
          .map(([reason, count]) => `${count} ${reason}`)
          .join(' · ') || 'none stopped'}
      </p>
      <div className="card">
        <h3>Variants</h3>
        <p className="muted">
          Thompson sampling on positive replies and meetings. Posterior share: the chance each variant is the
          best.
        </p>
        <div className="outbound__table-wrap">
          <table className="table" data-testid="variants-table">
            <thead>
              <tr>
                <th>Variant</th>
                <th>Sends</th>
                <th>Replies</th>
                <th>Reply rate (95%)</th>
                <th>Posterior share</th>
              </tr>
            </thead>
            <tbody>
              {variants.map((variant) => (
                <tr
                  key={`${variant.picker}-${variant.segment}-${variant.variant}`}
                  data-testid={`variant-${variant.variant}`}
                >
                  <td className="table__main">
                    {variant.variant}
                    {variant.segment && <small className="muted"> · {variant.segment}</small>}
                  </td>
                  <td data-testid="variant-sends">{variant.sends}</td>
                  <td data-testid="variant-replies">{variant.replies}</td>
                  <td>
                    {pct(variant.replyRate)}{' '}
                    <small className="muted">
                      {pct(variant.replyRateLow)}–{pct(variant.replyRateHigh)}
                    </small>
                  </td>
                  <td>
                    <span className="outbound__share" title={pct(variant.posteriorShare)}>
                      <span style={{ width: `${Math.round(variant.posteriorShare * 100)}%` }} />
                    </span>{' '}
                    <span data-testid="variant-share">{pct(variant.posteriorShare, 0)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="card">
        <h3>Funnel by step</h3>
        <ol className="outbound__funnel" data-testid="campaign-funnel">
          {funnel.map((step) => (
            <li key={step.step}>
              <span
                className="outbound__funnel-bar"
                style={{ width: `${first ? Math.max(4, Math.round((step.sends / first) * 100)) : 0}%` }}
              />
              <span>
                <strong>{step.step}</strong>: {step.sends} sent · {step.replies} replied ({step.positive}{' '}
                positive) · {step.bounces} bounced
              </span>
            </li>
          ))}
          {funnel.length === 0 && <li className="muted">Nothing sent yet.</li>}
        </ol>
      </div>
    </section>
  );
}
