import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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
            <BarChart data={stats.days} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis dataKey="day" tick={axis} />
              <YAxis allowDecimals={false} tick={axis} />
              <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)' }} />
              <Legend />
              <Bar dataKey="checks" fill="var(--primary)" />
              <Bar dataKey="blocks" fill="var(--danger)" />
              <Bar dataKey="redactions" fill="var(--warning)" />
            </BarChart>
          </ResponsiveContainer>
        )}
      </div>
      <div className="card section safety__chart" data-testid="chart-entities">
        <h3>Findings by entity</h3>
        {stats.byEntity.length === 0 ? (
          <p className="muted">Nothing found yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <BarChart
              data={stats.byEntity}
              layout="vertical"
              margin={{ top: 8, right: 12, bottom: 0, left: 24 }}
            >
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
