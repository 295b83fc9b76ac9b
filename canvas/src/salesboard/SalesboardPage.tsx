import { useCallback, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WorkspaceSummary } from '../api/types.js';
import { match, navigate } from '../app/router.js';
import { money } from '../analytics/api.js';
import { Empty, PageHeader, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { loadBoard, STAGE_TITLES, type Board, type FunnelStage, type Insight, type RepBoard, type RepMetrics } from './api.js';
import '../analytics/analytics.css';
import './salesboard.css';

const axis = { stroke: 'var(--muted)', fontSize: 12 };
const hours = (value: number | null): string => (value === null ? '—' : `${value.toFixed(1)} h`);

/**
 * The AI Salesboard (issue 15): team overview, a rep's detail (/salesboard/rep/:userId), the
 * funnel and insights. Cached 5 minutes on the server; the page shows when it was computed and
 * offers a refresh. `?to=` ends the period on that date.
 */
export function SalesboardPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const [days, setDays] = useState(7);
  const [forced, setForced] = useState(0);
  const to = new URLSearchParams(window.location.search).get('to');
  const repId = match('/w/:ws/salesboard/rep/:userId', path)?.userId ?? null;
  const load = useCallback(
    () => loadBoard(workspace.id, { days, to, refresh: forced > 0 }),
    [workspace.id, days, to, forced],
  );
  const { data, error, loading } = useLoad(load, [load]);
  const gated = error !== null && /Salesboard is not in the/.test(error);
  const base = `/w/${workspace.id}/salesboard`;
  const rep = repId ? data?.reps.find((entry) => entry.userId === repId) : undefined;

  return (
    <div className="page salesboard" data-testid="salesboard-page" data-path={path}>
      <PageHeader title="AI Salesboard">
        <select value={days} onChange={(event) => setDays(Number(event.target.value))} aria-label="Period" data-testid="salesboard-days">
          <option value={7}>Last 7 days</option>
          <option value={14}>Last 14 days</option>
          <option value={30}>Last 30 days</option>
        </select>
        <button type="button" className="btn btn--small" onClick={() => setForced((n) => n + 1)} disabled={loading} data-testid="salesboard-refresh">
          Refresh
        </button>
      </PageHeader>
      {data && (
        <p className="muted salesboard__stamp" data-testid="salesboard-stamp">
          Computed {new Date(data.computedAt).toLocaleTimeString()} {data.cached ? '(cached)' : ''} · refreshes after{' '}
          {new Date(data.cachedUntil).toLocaleTimeString()} · {new Date(data.period.from).toLocaleDateString()} – {new Date(data.period.to).toLocaleDateString()}
        </p>
      )}
      {gated ? (
        <Empty title="The AI Salesboard is part of Professional">
          <p className="muted" data-testid="salesboard-gated">{error}</p>
          <button type="button" className="btn btn--primary" onClick={() => navigate(`/w/${workspace.id}/billing`)}>
            See plans
          </button>
        </Empty>
      ) : error ? (
        <div className="card analytics__error" role="alert">{error}</div>
      ) : !data ? (
        <Skeleton rows={8} />
      ) : repId ? (
        rep ? <RepDetail rep={rep} team={data.team.metrics} back={base} /> : <Empty title="No such rep in this period" />
      ) : (
        <Team board={data} base={base} />
      )}
    </div>
  );
}

function Team({ board, base }: { board: Board; base: string }) {
  const { metrics } = board.team;
  return (
    <>
      {board.coaching && (
        <section className="card salesboard__coaching" data-testid="salesboard-coaching">
          <span className="salesboard__ai">AI coaching · written by {board.coaching.provider} / {board.coaching.model}</span>
          <p>{board.coaching.text}</p>
        </section>
      )}
      <Kpis metrics={metrics} />
      <div className="salesboard__columns">
        <section className="card analytics__section">
          <h2>Funnel</h2>
          <Funnel stages={board.team.funnel} testId="team-funnel" />
        </section>
        <section className="card analytics__section">
          <h2>Insights</h2>
          <Insights insights={[...board.team.insights, ...board.reps.flatMap((rep) => rep.insights.map((insight) => ({ ...insight, text: `${rep.name}: ${insight.text}` })))]} testId="team-insights" />
        </section>
      </div>
      <section className="card analytics__section">
        <h2>Reps</h2>
        <p className="muted">Score 0–100: activity, reply rate, meeting rate, won value and responsiveness against the team average (50 = average).</p>
        <div className="analytics__scroll">
          <table className="table table--clickable" data-testid="reps-table">
            <thead>
              <tr>
                <th>Rep</th><th>Score</th><th>Contacted</th><th>Emails</th><th>Calls</th><th>Reply rate</th><th>Meetings</th><th>Won</th><th>Response</th>
              </tr>
            </thead>
            <tbody>
              {board.reps.map((rep) => (
                <tr key={rep.userId} data-testid={`rep-${rep.userId}`} onClick={() => navigate(`${base}/rep/${rep.userId}${window.location.search}`)}>
                  <td className="table__main">{rep.name}</td>
                  <td><span className="salesboard__score" data-testid="rep-score">{rep.score}</span></td>
                  <td>{rep.metrics.contacted}</td>
                  <td>{rep.metrics.emailsSent}</td>
                  <td>{rep.metrics.calls}</td>
                  <td>{rep.metrics.replyRate}%</td>
                  <td>{rep.metrics.meetings}</td>
                  <td>{money(rep.metrics.wonCents)}</td>
                  <td>{hours(rep.metrics.medianResponseHours)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function RepDetail({ rep, team, back }: { rep: RepBoard; team: RepMetrics; back: string }) {
  return (
    <div data-testid="rep-detail">
      <button type="button" className="btn btn--ghost btn--small" onClick={() => navigate(`${back}${window.location.search}`)} data-testid="rep-back">
        ← Team
      </button>
      <h2 className="salesboard__rep-name">
        {rep.name} <span className="salesboard__score" data-testid="rep-detail-score">{rep.score}</span>
      </h2>
      <Kpis metrics={rep.metrics} team={team} />
      <div className="salesboard__columns">
        <section className="card analytics__section">
          <h2>Funnel</h2>
          <Funnel stages={rep.funnel} testId="rep-funnel" />
        </section>
        <section className="card analytics__section">
          <h2>Coaching</h2>
          <Insights insights={rep.insights} testId="rep-insights" />
        </section>
      </div>
    </div>
  );
}

function Kpis({ metrics, team }: { metrics: RepMetrics; team?: RepMetrics }) {
  const items: Array<[string, string, string]> = [
    ['calls', 'Calls', String(metrics.calls)],
    ['emails', 'Emails sent', String(metrics.emailsSent)],
    ['replies', 'Replies', String(metrics.replies)],
    ['meetings', 'Meetings', String(metrics.meetings)],
    ['pipeline', 'Pipeline', money(metrics.pipelineCents)],
    ['won', 'Won', money(metrics.wonCents)],
    ['reply-rate', 'Reply rate', `${metrics.replyRate}%`],
    ['response', 'Median response', hours(metrics.medianResponseHours)],
  ];
  return (
    <div className="analytics__kpis salesboard__kpis">
      {items.map(([key, label, value]) => (
        <div key={key} className="card analytics__kpi" data-testid={`sb-${key}`}>
          <span className="muted">{label}</span>
          <strong data-testid={`sb-${key}-value`}>{value}</strong>
          {team && key === 'reply-rate' && <span className="muted">team {team.replyRate}%</span>}
          {team && key === 'response' && <span className="muted">team {hours(team.medianResponseHours)}</span>}
        </div>
      ))}
    </div>
  );
}

function Funnel({ stages, testId }: { stages: FunnelStage[]; testId: string }) {
  const data = stages.map((stage) => ({ ...stage, title: STAGE_TITLES[stage.stage] }));
  return (
    <div data-testid={testId}>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -20 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="title" tick={axis} />
          <YAxis allowDecimals={false} tick={axis} />
          <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }} />
          <Bar isAnimationActive={false} dataKey="count" name="Leads" fill="var(--primary)" radius={[4, 4, 0, 0]} />
        </BarChart>
      </ResponsiveContainer>
      <ol className="salesboard__stages">
        {stages.map((stage) => (
          <li key={stage.stage} data-testid={`${testId}-${stage.stage}`}>
            {STAGE_TITLES[stage.stage]} <strong>{stage.count}</strong> <span className="muted">{stage.percent}%</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Insights({ insights, testId }: { insights: Insight[]; testId: string }) {
  if (insights.length === 0) return <p className="muted">Nothing stands out in this period.</p>;
  return (
    <ul className="salesboard__insights" data-testid={testId}>
      {insights.map((insight, index) => (
        <li key={index} className={`salesboard__insight salesboard__insight--${insight.tone}`}>
          {insight.text}
        </li>
      ))}
    </ul>
  );
}
