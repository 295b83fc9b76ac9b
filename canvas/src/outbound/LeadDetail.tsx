import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { outboundApi } from './api.js';

const KIND_LABEL: Record<string, string> = {
  sent: 'Email sent',
  replied: 'Replied',
  bounced: 'Bounced',
  unsubscribed: 'Unsubscribed',
  complained: 'Complained',
  meeting: 'Meeting booked',
  outcome: 'Score learned',
};

/** A lead: its fields, score and the factors behind it, enrolments, and the timeline of sends and replies. */
export function LeadDetailView({ workspace, leadId }: { workspace: WorkspaceSummary; leadId: string }) {
  const toast = useToast();
  const detail = useLoad(() => outboundApi.lead(workspace.id, leadId), [workspace.id, leadId]);
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  const canEdit = workspace.role !== 'viewer';
  if (detail.error) return <p className="form-error">{detail.error}</p>;
  if (!detail.data) return <Skeleton />;
  const { lead, timeline, score, enrollments } = detail.data;
  const record = async (type: 'reply' | 'meeting') => {
    setBusy(true);
    try {
      const last = detail.data?.sends.at(-1);
      const answer = await outboundApi.event(workspace.id, {
        id: `manual-${type}-${Date.now()}`,
        type,
        from: lead.email,
        ...(type === 'reply' && { text: reply }),
        // Threaded under the lead's latest send, as a mail client's reply would be.
        ...(last && { inReplyTo: last.messageId }),
      });
      toast.show(
        'success',
        answer.classification ? `Reply recorded: ${answer.classification.replace('_', ' ')}` : 'Recorded',
      );
      setReply('');
      await detail.reload();
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  const max = Math.max(0.001, ...score.factors.map((factor) => Math.abs(factor.contribution)));
  return (
    <section className="outbound__lead" data-testid="lead-detail">
      <p>
        <Link to={`/w/${workspace.id}/outbound/leads`}>← Leads</Link>
      </p>
      <div className="outbound__lead-grid">
        <div className="card">
          <h2 data-testid="lead-name">{lead.name ?? lead.email}</h2>
          <p className="muted">{lead.email}</p>
          <dl className="outbound__facts">
            <dt>Company</dt>
            <dd>{lead.company ?? '—'}</dd>
            <dt>Title</dt>
            <dd>{lead.title ?? '—'}</dd>
            <dt>Time zone</dt>
            <dd>{lead.timezone ?? '—'}</dd>
            <dt>Status</dt>
            <dd>
              <Badge status={lead.status} testId="lead-status" />
            </dd>
            {Object.entries(lead.attributes).map(([key, value]) => (
              <div key={key} className="outbound__fact">
                <dt>{key}</dt>
                <dd>{String(value)}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="card" data-testid="lead-score-card">
          <h2>
            Score{' '}
            <span className="outbound__score" data-testid="lead-detail-score">
              {score.score}
            </span>
          </h2>
          <p className="muted">
            {score.examples === 0
              ? 'Cold start: a prior from title and email domain, until outcomes arrive.'
              : `Learned from ${score.examples} outcome(s). 50 is an average lead.`}
          </p>
          <ul className="outbound__factors" data-testid="score-factors">
            {score.factors.map((factor) => (
              <li key={factor.feature}>
                <span>{factor.feature}</span>
                <span className="outbound__factor-bar">
                  <span
                    className={factor.contribution >= 0 ? 'up' : 'down'}
                    style={{ width: `${Math.round((Math.abs(factor.contribution) / max) * 100)}%` }}
                  />
                </span>
                <span className="outbound__num">
                  {factor.contribution > 0 ? '+' : ''}
                  {factor.contribution.toFixed(2)}
                </span>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <div className="card">
        <h2>Campaigns</h2>
        {enrollments.length === 0 ? (
          <p className="muted">Not enrolled yet.</p>
        ) : (
          <ul className="outbound__plain" data-testid="lead-enrollments">
            {enrollments.map((enrollment) => (
              <li key={enrollment.id} data-testid="lead-enrollment">
                <Link to={`/w/${workspace.id}/outbound/campaigns/${enrollment.campaignId}`}>
                  {enrollment.campaign}
                </Link>{' '}
                <Badge status={enrollment.status} />{' '}
                {enrollment.stopReason && <span className="muted">({enrollment.stopReason})</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="card">
        <h2>Timeline</h2>
        <ol className="outbound__timeline" data-testid="lead-timeline">
          {timeline.map((event) => (
            <li key={event.id} data-kind={event.kind}>
              <strong>{KIND_LABEL[event.kind] ?? event.kind}</strong>
              {event.classification && <Badge status={event.classification} />}
              {typeof event.data.subject === 'string' && <span> “{event.data.subject}”</span>}
              {event.campaign && <span className="muted"> · {event.campaign}</span>}
              <span className="muted"> · {timeAgo(event.occurredAt)}</span>
            </li>
          ))}
          {timeline.length === 0 && <li className="muted">Nothing yet.</li>}
        </ol>
        {canEdit && (
          <div className="outbound__reply">
            <textarea
              aria-label="Reply text"
              placeholder="Paste the lead's reply to record it (it is classified and stops the sequence)"
              value={reply}
              data-testid="reply-text"
              onChange={(event) => setReply(event.target.value)}
            />
            <div className="outbound__row">
              <button
                type="button"
                className="btn btn--primary"
                disabled={busy || !reply.trim()}
                onClick={() => void record('reply')}
                data-testid="reply-submit"
              >
                Record reply
              </button>
              <button
                type="button"
                className="btn"
                disabled={busy}
                onClick={() => void record('meeting')}
                data-testid="meeting-submit"
              >
                Meeting booked
              </button>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
