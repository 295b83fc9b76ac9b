import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { FunnelStep, LifecycleInterval, MonthMovements } from './api.js';
import { money, periodLabel } from './api.js';

const axis = { stroke: 'var(--muted)', fontSize: 12 };
const tooltip = { contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' } };

/** The milestone funnel: how many reached each milestone (bars) with counts and % beside. */
export function FunnelChart({ steps }: { steps: FunnelStep[] }) {
  return (
    <div className="analytics__funnel" data-testid="activation-funnel">
      <ResponsiveContainer width="100%" height={Math.max(180, steps.length * 30)}>
        <BarChart data={steps} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={axis} />
          <YAxis type="category" dataKey="title" tick={axis} width={150} />
          <Tooltip {...tooltip} />
          <Bar isAnimationActive={false} dataKey="count" name="Reached" fill="var(--primary)" radius={[0, 4, 4, 0]} />
        </BarChart>
      </ResponsiveContainer>
      <ol className="analytics__steps">
        {steps.map((step) => (
          <li key={step.key} data-testid={`funnel-${step.key.replace('activation.', '')}`}>
            <span>{step.title}</span>
            <strong>{step.count}</strong>
            <span className="muted">{step.percent}%</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** PostHog's lifecycle: new, returning and resurrecting above zero, dormant below. */
export function LifecycleChart({ intervals, unit }: { intervals: LifecycleInterval[]; unit: string }) {
  const data = intervals.map((interval) => ({ ...interval, label: periodLabel(interval.start, unit) }));
  return (
    <div data-testid="lifecycle-chart">
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={data} stackOffset="sign" margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={axis} />
          <YAxis allowDecimals={false} tick={axis} />
          <Tooltip {...tooltip} />
          <Legend />
          <ReferenceLine y={0} stroke="var(--muted)" />
          <Bar isAnimationActive={false} dataKey="new" name="New" stackId="l" fill="var(--success)" />
          <Bar isAnimationActive={false} dataKey="returning" name="Returning" stackId="l" fill="var(--primary)" />
          <Bar isAnimationActive={false} dataKey="resurrecting" name="Resurrecting" stackId="l" fill="var(--warning)" />
          <Bar isAnimationActive={false} dataKey="dormant" name="Dormant" stackId="l" fill="var(--danger)" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** MRR movements per month: gains above zero, losses below. */
export function MrrChart({ months }: { months: MonthMovements[] }) {
  const data = months.map((month) => ({
    month: month.month,
    New: month.new / 100,
    Expansion: month.expansion / 100,
    Reactivation: month.reactivation / 100,
    Contraction: -month.contraction / 100,
    Churn: -month.churn / 100,
  }));
  return (
    <div data-testid="mrr-chart">
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={data} stackOffset="sign" margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis dataKey="month" tick={axis} />
          <YAxis tick={axis} tickFormatter={(value: number) => money(value * 100)} width={64} />
          <Tooltip {...tooltip} formatter={(value) => money(Number(value) * 100)} />
          <Legend />
          <ReferenceLine y={0} stroke="var(--muted)" />
          <Bar isAnimationActive={false} dataKey="New" stackId="m" fill="var(--success)" />
          <Bar isAnimationActive={false} dataKey="Expansion" stackId="m" fill="var(--primary)" />
          <Bar isAnimationActive={false} dataKey="Reactivation" stackId="m" fill="var(--info)" />
          <Bar isAnimationActive={false} dataKey="Contraction" stackId="m" fill="var(--warning)" />
          <Bar isAnimationActive={false} dataKey="Churn" stackId="m" fill="var(--danger)" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A heat colour for a percentage: the primary colour, stronger with the value (light and dark). */
export function heat(value: number, max = 100): { background: string; color: string } {
  const strength = Math.max(0, Math.min(1, value / max));
  return {
    background: `color-mix(in srgb, var(--primary) ${Math.round(8 + strength * 80)}%, var(--surface))`,
    color: strength > 0.55 ? 'var(--primary-contrast)' : 'var(--text)',
  };
}
