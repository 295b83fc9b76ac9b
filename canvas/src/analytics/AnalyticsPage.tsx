import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Empty, PageHeader, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { loadAnalytics, money, percent, periodLabel, refreshAnalytics, type AnalyticsView } from './api.js';
import { FunnelChart, heat, LifecycleChart, MrrChart } from './charts.js';
import './analytics.css';

/**
 * Growth analytics (issue 15): activation, retention, lifecycle, MRR movements, NRR and churn
 * risk. Owners see their workspace's people; instance admins can switch to every workspace
 * (accounts). `?to=YYYY-MM-DD` shows the figures as of that day.
 */
export function AnalyticsPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const { me } = useSession();
  const admin = me?.instanceAdmin ?? false;
  const owner = workspace.role === 'owner';
  const [scope, setScope] = useState<'workspace' | 'admin'>(owner || !admin ? 'workspace' : 'admin');
  const [unit, setUnit] = useState<'day' | 'week' | 'month'>('week');
  const [mode, setMode] = useState<'on' | 'onOrAfter'>('on');
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const to = new URLSearchParams(window.location.search).get('to');
  const target = scope === 'admin' ? ('admin' as const) : { workspaceId: workspace.id };
  const allowed = scope === 'admin' ? admin : owner;
  const { data, error, loading, reload } = useLoad(
    () => (allowed ? loadAnalytics(target, { unit, mode, to }) : Promise.resolve(undefined)),
    [workspace.id, scope, unit, mode, to, allowed],
  );

  const refresh = async () => {
    setBusy(true);
    try {
      await refreshAnalytics(target);
      await reload();
      toast.show('success', 'Analytics are up to date');
    } catch (failure) {
      toast.error(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page analytics" data-testid="analytics-page" data-path={path}>
      <PageHeader title="Analytics">
        {admin && (
          <div className="analytics__toggle" role="group" aria-label="Scope">
            <button type="button" className={`btn btn--small ${scope === 'workspace' ? 'btn--primary' : ''}`} onClick={() => setScope('workspace')} data-testid="scope-workspace">
              This workspace
            </button>
            <button type="button" className={`btn btn--small ${scope === 'admin' ? 'btn--primary' : ''}`} onClick={() => setScope('admin')} data-testid="scope-admin">
              All workspaces
            </button>
          </div>
        )}
        {allowed && (
          <button type="button" className="btn btn--small" onClick={() => void refresh()} disabled={busy} data-testid="analytics-refresh">
            {busy ? 'Refreshing…' : 'Refresh'}
          </button>
        )}
      </PageHeader>
      <p className="muted analytics__scope" data-testid="analytics-scope">
        {scope === 'admin' ? 'Every workspace; accounts are workspaces.' : `The people of ${workspace.name}.`}
        {to ? ` As of ${to}.` : ''}
      </p>
      {!allowed ? (
        <Empty title="Analytics are for the workspace owner">
          <p className="muted">Ask the owner of {workspace.name} for the figures.</p>
        </Empty>
      ) : error ? (
        <div className="card analytics__error" role="alert">{error}</div>
      ) : loading && !data ? (
        <Skeleton rows={8} />
      ) : data ? (
        <Figures data={data} unit={unit} mode={mode} setUnit={setUnit} setMode={setMode} />
      ) : null}
    </div>
  );
}

function Figures({
  data,
  unit,
  mode,
  setUnit,
  setMode,
}: {
  data: AnalyticsView;
  unit: 'day' | 'week' | 'month';
  mode: 'on' | 'onOrAfter';
  setUnit: (unit: 'day' | 'week' | 'month') => void;
  setMode: (mode: 'on' | 'onOrAfter') => void;
}) {
  const { activation, retention, lifecycle, revenue, churn } = data;
  const last = lifecycle.intervals.at(-1);
  return (
    <>
      <div className="analytics__kpis">
        <Kpi label={`Activated within ${activation.definition.days} days`} value={`${activation.rate}%`} hint={`${activation.activated} of ${activation.subjects}`} testId="kpi-activation" />
        <Kpi label="MRR" value={money(revenue.mrrCents)} hint={`${revenue.payingAccounts} paying`} testId="kpi-mrr" />
        <Kpi label={`NRR ${revenue.period.from} → ${revenue.period.to}`} value={percent(revenue.period.nrr)} hint="opening cohort" testId="kpi-nrr" />
        <Kpi label="GRR" value={percent(revenue.period.grr)} hint="never above 100%" testId="kpi-grr" />
      </div>

      <section className="card analytics__section">
        <h2>Activation funnel</h2>
        <p className="muted">
          Activated = {activation.definition.milestones.map((name) => name.replace('activation.', '').replaceAll('_', ' ')).join(', ')} within{' '}
          {activation.definition.days} days of signup.
        </p>
        <FunnelChart steps={activation.funnel} />
        <div className="analytics__scroll">
          <table className="table" data-testid="activation-by-plan">
            <thead>
              <tr><th>Plan</th><th>Signed up</th><th>Activated</th><th>Rate</th></tr>
            </thead>
            <tbody>
              {activation.byPlan.map((group) => (
                <tr key={group.plan}><td>{group.plan}</td><td>{group.subjects}</td><td>{group.activated}</td><td>{group.rate}%</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card analytics__section">
        <header className="analytics__section-head">
          <h2>Retention</h2>
          <div className="analytics__toggle" role="group" aria-label="Cohort options">
            <select value={unit} onChange={(event) => setUnit(event.target.value as 'day' | 'week' | 'month')} aria-label="Period" data-testid="retention-unit">
              <option value="day">Daily</option>
              <option value="week">Weekly</option>
              <option value="month">Monthly</option>
            </select>
            <select value={mode} onChange={(event) => setMode(event.target.value as 'on' | 'onOrAfter')} aria-label="Counting" data-testid="retention-mode">
              <option value="on">On the period</option>
              <option value="onOrAfter">On or after</option>
            </select>
          </div>
        </header>
        <p className="muted">First-time cohorts by signup; retained = active in the period. Period 0 = 100%.</p>
        <div className="analytics__scroll">
          <table className="analytics__grid" data-testid="cohort-grid">
            <thead>
              <tr>
                <th>Cohort</th><th>People</th>
                {retention.weightedMean.map((_, k) => <th key={k}>{k}</th>)}
              </tr>
            </thead>
            <tbody>
              {retention.cohorts.map((cohort, row) => (
                <tr key={cohort.start}>
                  <th scope="row">{periodLabel(cohort.start, unit)}</th>
                  <td>{cohort.size}</td>
                  {retention.weightedMean.map((_, k) => {
                    const value = cohort.percent[k];
                    return value === undefined || cohort.size === 0 ? (
                      <td key={k} className="analytics__blank">{value === undefined ? '' : '—'}</td>
                    ) : (
                      <td key={k} style={heat(value)} data-testid={`cohort-${row}-${k}`} title={`${cohort.retained[k]} of ${cohort.size}`}>
                        {value}%
                      </td>
                    );
                  })}
                </tr>
              ))}
              <tr className="analytics__mean">
                <th scope="row">Weighted mean</th><td />
                {retention.weightedMean.map((value, k) => <td key={k}>{value}%</td>)}
              </tr>
            </tbody>
          </table>
        </div>
      </section>

      <section className="card analytics__section">
        <h2>Lifecycle</h2>
        <p className="muted">New (first seen), returning, resurrecting, dormant (below zero), per {unit}.</p>
        <LifecycleChart intervals={lifecycle.intervals} unit={unit} />
        {last && (
          <p className="analytics__last" data-testid="lifecycle-last">
            This {unit}: {last.new} new · {last.returning} returning · {last.resurrecting} resurrecting · {-last.dormant} dormant
          </p>
        )}
      </section>

      <section className="card analytics__section">
        <h2>MRR movements</h2>
        <p className="muted">Month-end MRR per account from billing history. NRR = (start + expansion − contraction − churn) / start; GRR leaves expansion out (ChartMogul).</p>
        <MrrChart months={revenue.months} />
        <div className="analytics__scroll">
          <table className="table" data-testid="mrr-table">
            <thead>
              <tr><th>Month</th><th>New</th><th>Expansion</th><th>Reactivation</th><th>Contraction</th><th>Churn</th><th>MRR</th><th>NRR</th><th>GRR</th></tr>
            </thead>
            <tbody>
              {revenue.months.map((month) => (
                <tr key={month.month} data-testid={`mrr-${month.month}`}>
                  <td>{month.month}</td><td>{money(month.new)}</td><td>{money(month.expansion)}</td><td>{money(month.reactivation)}</td>
                  <td>{money(month.contraction)}</td><td>{money(month.churn)}</td><td>{money(month.mrr)}</td>
                  <td>{percent(month.nrr)}</td><td>{percent(month.grr)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>NRR by cohort (first paying month)</h3>
        {revenue.cohorts.length === 0 ? (
          <p className="muted">No account started paying in this range.</p>
        ) : (
          <div className="analytics__scroll">
            <table className="analytics__grid" data-testid="nrr-grid">
              <thead>
                <tr><th>Cohort</th><th>Accounts</th>{revenue.months.map((_, k) => <th key={k}>{k}</th>)}</tr>
              </thead>
              <tbody>
                {revenue.cohorts.map((cohort) => (
                  <tr key={cohort.month}>
                    <th scope="row">{cohort.month}</th><td>{cohort.accounts}</td>
                    {revenue.months.map((_, k) =>
                      cohort.nrr[k] === undefined ? <td key={k} className="analytics__blank" /> : <td key={k} style={heat(cohort.nrr[k] ?? 0, 150)}>{cohort.nrr[k]}%</td>,
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3>Expansion opportunities</h3>
        {revenue.opportunities.length === 0 ? (
          <p className="muted">None right now.</p>
        ) : (
          <ul className="analytics__list" data-testid="opportunities">
            {revenue.opportunities.map((opportunity) => (
              <li key={opportunity.id}>
                <strong>{opportunity.reason}</strong>
                <span className="muted">
                  {opportunity.currentPlan} → {opportunity.suggestedPlan ?? opportunity.kind.replace('_', ' ')}: {money(opportunity.currentValueCents)} →{' '}
                  {money(opportunity.potentialValueCents)} (+{money(opportunity.upliftCents)}/mo)
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card analytics__section">
        <h2>Churn risk</h2>
        <p className="muted">0–100 from activity decline, unused seats, usage trend, failed payments, NPS and stalled activation.</p>
        {churn.length === 0 ? (
          <p className="muted">Not scored yet: press Refresh.</p>
        ) : (
          <ul className="analytics__churn" data-testid="churn-list">
            {churn.map((risk) => (
              <li key={risk.workspaceId} data-testid={`churn-${risk.workspaceId}`}>
                <span className={`analytics__score ${risk.high ? 'analytics__score--high' : ''}`} data-testid="churn-score">{risk.score}</span>
                <div>
                  <strong>{risk.workspaceName}</strong> <span className="muted">{risk.plan} · {risk.status.replace('_', ' ')}</span>
                  <ul className="analytics__reasons">
                    {risk.reasons.slice(0, 3).map((reason) => (
                      <li key={reason.factor}>{reason.text} <span className="muted">(+{reason.points})</span></li>
                    ))}
                    {risk.reasons.length === 0 && <li className="muted">No risk factor.</li>}
                  </ul>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function Kpi({ label, value, hint, testId }: { label: string; value: string; hint: string; testId: string }) {
  return (
    <div className="card analytics__kpi" data-testid={testId}>
      <span className="muted">{label}</span>
      <strong data-testid={`${testId}-value`}>{value}</strong>
      <span className="muted">{hint}</span>
    </div>
  );
}
