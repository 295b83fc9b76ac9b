import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { Badge, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { safetyApi, type Affected, type ChainReport, type Decision } from './api.js';
import { AffectedList, PolicyEditor } from './PolicyEditor.js';
import { SafetyCharts } from './SafetyCharts.js';
import './safety.css';

/** The AI Safety Console: policy, stats, violations, the safety log and the audit chain (Enterprise). */
export function SafetyPage({ workspace }: { workspace: WorkspaceSummary; path: string }) {
  const status = useLoad(() => safetyApi.status(workspace.id), [workspace.id]);
  if (!status.data) {
    return (
      <div className="page" data-testid="safety-page">
        <PageHeader title="AI Safety" />
        {status.error ? <div className="card section">{status.error}</div> : <Skeleton />}
      </div>
    );
  }
  if (!status.data.enabled) {
    return (
      <div className="page" data-testid="safety-page">
        <PageHeader title="AI Safety" />
        <div className="card section safety__upgrade" data-testid="safety-upgrade">
          <h2>Guardrails every workflow must pass</h2>
          <p>
            The AI Safety Console — admin-pinned guardrails for PII, prompt injection, content, email
            compliance and links, a searchable safety log and a tamper-evident audit log — is part of the{' '}
            <strong>Enterprise</strong> plan. This workspace is on <strong>{status.data.plan}</strong>.
          </p>
          <Link to={`/w/${workspace.id}/billing`} className="btn btn--primary" testId="safety-upgrade-link">
            See plans
          </Link>
        </div>
      </div>
    );
  }
  if (workspace.role === 'viewer') {
    return (
      <div className="page" data-testid="safety-page">
        <PageHeader title="AI Safety" />
        <div className="card section" data-testid="safety-forbidden">
          The AI Safety Console is for the members, admins and owners of {workspace.name}.
        </div>
      </div>
    );
  }
  return <Console workspace={workspace} />;
}

function Console({ workspace }: { workspace: WorkspaceSummary }) {
  const admin = workspace.role === 'admin' || workspace.role === 'owner';
  const [days, setDays] = useState(30);
  const [query, setQuery] = useState('');
  const policy = useLoad(() => safetyApi.policy(workspace.id), [workspace.id]);
  const affected = useLoad(() => safetyApi.affected(workspace.id), [workspace.id]);
  const stats = useLoad(() => safetyApi.stats(workspace.id, days), [workspace.id, days]);
  const violations = useLoad(() => safetyApi.violations(workspace.id), [workspace.id]);
  const log = useLoad(() => safetyApi.search(workspace.id, query), [workspace.id, query]);
  const chain = useLoad<ChainReport | null>(
    () => (admin ? safetyApi.verifyChain(workspace.id) : Promise.resolve(null)),
    [workspace.id, admin],
  );
  const onSaved = (items: Affected[]): void => {
    affected.setData(() => ({ items }));
    void stats.reload();
  };
  return (
    <div className="page safety" data-testid="safety-page">
      <PageHeader title="AI Safety">
        <select
          value={days}
          onChange={(e) => setDays(Number(e.target.value))}
          aria-label="Period"
          data-testid="safety-days"
        >
          <option value={7}>Last 7 days</option>
          <option value={30}>Last 30 days</option>
          <option value={90}>Last 90 days</option>
        </select>
      </PageHeader>
      {stats.data ? (
        <div className="safety__totals" data-testid="safety-totals">
          <Total label="Checks" value={stats.data.totals.checks} />
          <Total label="Blocks" value={stats.data.totals.blocks} tone="danger" />
          <Total label="Redactions" value={stats.data.totals.redactions} tone="warning" />
          {chain.data ? <ChainStatus report={chain.data} /> : null}
        </div>
      ) : (
        <Skeleton rows={2} />
      )}
      {policy.data ? (
        <PolicyEditor
          workspaceId={workspace.id}
          initial={policy.data.policy}
          canEdit={admin}
          onSaved={onSaved}
        />
      ) : (
        <Skeleton />
      )}
      <AffectedList workspaceId={workspace.id} items={affected.data?.items ?? []} />
      {stats.data ? <SafetyCharts stats={stats.data} /> : null}
      {stats.data && stats.data.byWorkflow.length > 0 ? (
        <section className="card section" data-testid="safety-by-workflow">
          <h2>By workflow</h2>
          <div className="safety__scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>Workflow</th>
                  <th>Checks</th>
                  <th>Blocks</th>
                  <th>Redactions</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.byWorkflow.map((w) => (
                  <tr key={w.workflowId ?? 'none'}>
                    <td className="table__main">
                      {w.workflowId ? (
                        <Link to={`/w/${workspace.id}/workflows/${w.workflowId}`}>
                          {w.name ?? w.workflowId}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>{w.checks}</td>
                    <td>{w.blocks}</td>
                    <td>{w.redactions}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      <section className="card section" data-testid="safety-violations">
        <h2>Recent violations</h2>
        {violations.data?.items.length ? (
          <DecisionTable workspaceId={workspace.id} items={violations.data.items} />
        ) : violations.data ? (
          <Empty title="No violations">Blocked checks and policy blocks show up here.</Empty>
        ) : (
          <Skeleton />
        )}
      </section>
      <section className="card section" data-testid="safety-log">
        <div className="safety__log-head">
          <h2>Safety log</h2>
          <input
            type="search"
            placeholder="Search reasons and nodes"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            aria-label="Search the safety log"
            data-testid="safety-search"
          />
          <a
            className="btn btn--small"
            href={safetyApi.exportUrl(workspace.id, 'csv')}
            download
            data-testid="export-csv"
          >
            Export CSV
          </a>
          <a className="btn btn--small" href={safetyApi.exportUrl(workspace.id, 'json')} download>
            Export JSON
          </a>
        </div>
        <p className="muted">Entity types and counts only: the checked text is never stored here.</p>
        {log.data?.items.length ? (
          <DecisionTable workspaceId={workspace.id} items={log.data.items} />
        ) : (
          <Empty title="Nothing logged yet" />
        )}
      </section>
    </div>
  );
}

function Total({ label, value, tone }: { label: string; value: number; tone?: 'danger' | 'warning' }) {
  return (
    <div className={`card safety__total${tone ? ` safety__total--${tone}` : ''}`}>
      <div className="muted">{label}</div>
      <div className="safety__total-value">{value.toLocaleString()}</div>
    </div>
  );
}

function ChainStatus({ report }: { report: ChainReport }) {
  return (
    <div
      className={`card safety__total safety__chain${report.ok ? '' : ' safety__total--danger'}`}
      data-testid="audit-chain"
    >
      <div className="muted">Audit chain</div>
      <div className="safety__total-value">{report.ok ? '✓ Intact' : '✗ Broken'}</div>
      <small className="muted">
        {report.ok
          ? `${report.entries} entries verified ${timeAgo(report.verifiedAt)}`
          : `Entry #${report.brokenAt?.seq ?? '?'} (${report.brokenAt?.action ?? ''}): ${report.brokenAt?.reason ?? ''}`}
      </small>
    </div>
  );
}

function DecisionTable({ workspaceId, items }: { workspaceId: string; items: Decision[] }) {
  return (
    <div className="safety__scroll">
      <table className="table">
        <thead>
          <tr>
            <th>When</th>
            <th>Check</th>
            <th>Verdict</th>
            <th>Node</th>
            <th>Reason</th>
            <th>Found</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-testid="safety-decision">
              <td>
                {d.runId ? (
                  <Link to={`/w/${workspaceId}/runs/${d.runId}`}>{timeAgo(d.at)}</Link>
                ) : (
                  timeAgo(d.at)
                )}
              </td>
              <td>{d.check}</td>
              <td>
                <Badge status={d.verdict === 'fail' ? 'failed' : 'succeeded'} />
              </td>
              <td>
                <code>{d.nodeId}</code>
              </td>
              <td className="safety__reason">{d.reason}</td>
              <td className="muted">
                {Object.entries(d.entities)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ') || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
