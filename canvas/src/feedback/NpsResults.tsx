import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Empty, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { feedbackApi, type NpsFigures } from './api.js';
import { StatusManager } from './StatusManager.js';

const pct = (part: number, whole: number): string =>
  whole === 0 ? '—' : `${Math.round((part / whole) * 100)}%`;
const npsText = (value: number | null): string =>
  value === null ? '—' : value > 0 ? `+${value}` : String(value);

/** Instance admins: NPS over time, by plan and by workspace, with the comments. */
export function NpsResultsView() {
  const [days, setDays] = useState(90);
  const { data, loading, error } = useLoad(() => feedbackApi.npsResults(days), [days]);
  if (loading && !data) return <Skeleton rows={6} />;
  if (error || !data) return <div className="form-error">{error}</div>;
  return (
    <div className="nps-results" data-testid="nps-results">
      <div className="feedback__filters">
        <select value={days} onChange={(e) => setDays(Number(e.target.value))} aria-label="Period">
          {[30, 90, 180, 365].map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </select>
        <span className="muted small">NPS = % promoters (9–10) − % detractors (0–6)</span>
      </div>
      <div className="nps-results__tiles">
        <div className="card tile">
          <div className="tile__label">NPS</div>
          <div className="tile__value" data-testid="nps-score">
            {npsText(data.nps)}
          </div>
        </div>
        <Tile label="Responses" value={String(data.responses)} />
        <Tile label="Promoters" value={pct(data.promoters, data.responses)} />
        <Tile label="Passives" value={pct(data.passives, data.responses)} />
        <Tile label="Detractors" value={pct(data.detractors, data.responses)} />
      </div>
      {data.responses === 0 ? (
        <Empty title="No answers yet">
          <p className="muted">Eligible people are asked in-app; answers show up here.</p>
        </Empty>
      ) : (
        <>
          <div className="card nps-results__chart">
            <h3>NPS by week</h3>
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={data.overTime}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
                <XAxis dataKey="week" stroke="var(--muted)" fontSize={11} />
                <YAxis domain={[-100, 100]} stroke="var(--muted)" fontSize={11} />
                <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
                <Line type="monotone" dataKey="nps" stroke="var(--primary)" strokeWidth={2} dot />
              </LineChart>
            </ResponsiveContainer>
          </div>
          <div className="nps-results__tables">
            <Breakdown title="By plan" rows={data.byPlan.map((row) => ({ ...row, name: row.plan }))} />
            <Breakdown
              title="By workspace"
              rows={data.byWorkspace.map((row) => ({ ...row, name: row.workspaceName }))}
            />
          </div>
          <div className="card nps-results__comments">
            <h3>Comments</h3>
            <ul data-testid="nps-comments">
              {data.comments.map((c) => (
                <li key={c.id} className="comment">
                  <div className="muted small">
                    <span className={`nps-chip nps-chip--${c.category}`}>{c.score}</span> {c.workspaceName} ·{' '}
                    {c.plan} · {c.email} · {timeAgo(c.createdAt)}
                  </div>
                  <div className="comment__body">{c.comment}</div>
                </li>
              ))}
            </ul>
          </div>
        </>
      )}
      <StatusManager />
    </div>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div className="card tile">
      <div className="tile__label">{label}</div>
      <div className="tile__value">{value}</div>
    </div>
  );
}

function Breakdown({ title, rows }: { title: string; rows: Array<NpsFigures & { name: string }> }) {
  return (
    <div className="card">
      <h3 className="nps-results__table-title">{title}</h3>
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>NPS</th>
            <th>Answers</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <td className="table__main">{row.name}</td>
              <td>{npsText(row.nps)}</td>
              <td>{row.responses}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
