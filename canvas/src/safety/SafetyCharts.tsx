import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SafetyStats } from './api.js';

const axis = { stroke: 'var(--muted)', fontSize: 12 };

/** Checks, blocks and redactions over time, and redactions by entity (recharts). */
export function SafetyCharts({ stats }: { stats: SafetyStats }) {
  return (
    <div className="safety__charts">
      <div className="card section safety__chart" data-testid="chart-days">
        <h3>Checks over time</h3>
        {stats.days.length === 0 ? (
          <p className="muted">No guardrail decisions in this period.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <LineChart data={stats.days} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis dataKey="day" tick={axis} />
              <YAxis allowDecimals={false} tick={axis} />
              <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
              <Legend />
              <Line type="monotone" dataKey="checks" stroke="var(--primary)" strokeWidth={2} dot={false} />
              <Line type="monotone" dataKey="blocks" stroke="var(--danger)" strokeWidth={2} dot={false} />
              <Line type="monotone" dataKey="redactions" stroke="var(--warning)" strokeWidth={2} dot={false} />
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
      <div className="card section safety__chart" data-testid="chart-entities">
        <h3>Findings by entity</h3>
        {stats.byEntity.length === 0 ? (
          <p className="muted">Nothing found yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={stats.byEntity} layout="vertical" margin={{ top: 8, right: 12, bottom: 0, left: 24 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis type="number" allowDecimals={false} tick={axis} />
              <YAxis type="category" dataKey="entity" tick={axis} width={90} />
              <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
              <Bar dataKey="count" fill="var(--primary)" />
            </BarChart>
          </ResponsiveContainer>
        )}
      </div>
    </div>
  );
}
