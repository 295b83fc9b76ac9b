import { useState } from 'react';
import { ApiError, api, messageOf, ws } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, PageHeader, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { billingTemplates } from '../../templates/billing.js';
import './billing.css';

/** GET /billing (api/billing/routes.ts). */
interface MeterUsage {
  meter: string;
  title: string;
  unit: string;
  used: number;
  limit: number | null;
  periodStart: string;
  periodEnd: string;
  overage: number;
}

interface Plan {
  id: string;
  title: string;
  priceMonthlyCents: number;
  quotas: Record<string, number | null>;
  features: string[];
  includedSeats: number;
  extraSeatPriceCents: number | null;
  overage: { allowed: boolean };
}

interface BillingOverview {
  mode: 'local' | 'stripe';
  plan: string;
  effectivePlan: string;
  status: string;
  trialEndsAt: string | null;
  trialDaysLeft: number | null;
  currentPeriod: { start: string; end: string };
  seats: {
    used: number;
    members: number;
    pendingInvitations: number;
    included: number;
    purchased: number;
    limit: number;
  };
  usage: MeterUsage[];
  plans: Plan[];
  features: Array<{ id: string; title: string }>;
}

interface Preview {
  mode: 'local' | 'stripe';
  currency: string;
  current: { planId: string; seats: number; monthlyCents: number };
  proposed: { planId: string; seats: number; monthlyCents: number };
  amountDueNowCents: number;
  note: string | null;
}

interface Invoice {
  id: string;
  number: string | null;
  status: string | null;
  currency: string;
  totalCents: number;
  created: string;
  hostedInvoiceUrl: string | null;
}

interface Change {
  planId?: string;
  seats?: number;
}

const money = (cents: number, currency = 'usd'): string =>
  new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    maximumFractionDigits: cents % 100 === 0 ? 0 : 2,
  }).format(cents / 100);

const quantity = (value: number | null): string =>
  value === null ? 'Unlimited' : value.toLocaleString('en-US');

const day = (iso: string): string =>
  new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

/** The Billing & Usage page: plan, trial, usage against limits, seats, plans, payment, invoices. */
export function BillingPage({ workspace }: { workspace: WorkspaceSummary }) {
  if (workspace.role !== 'owner' && workspace.role !== 'admin') {
    return (
      <div className="page" data-testid="billing-page">
        <PageHeader title="Billing & Usage" />
        <div className="card section" data-testid="billing-forbidden">
          <p>
            Billing & Usage is for the owners and admins of {workspace.name}. You are a {workspace.role}: ask
            an owner to change the plan or to give you the admin role.
          </p>
        </div>
      </div>
    );
  }
  return <BillingOverviewPage workspace={workspace} />;
}

function BillingOverviewPage({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const base = `${ws(workspace.id)}/billing`;
  const overview = useLoad(() => api.get<BillingOverview>(base), [base]);
  const invoices = useLoad(
    () => api.get<{ items: Invoice[] }>(`${base}/invoices`).catch(() => ({ items: [] })),
    [base],
  );
  const [pending, setPending] = useState<{ change: Change; preview: Preview | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const owner = workspace.role === 'owner';

  if (overview.error)
    return (
      <div className="page">
        <div className="error-box">{overview.error}</div>
      </div>
    );
  const data = overview.data;

  const propose = async (change: Change): Promise<void> => {
    setPending({ change, preview: null });
    try {
      const preview = await api.post<Preview>(`${base}/preview`, change);
      setPending({ change, preview });
    } catch (error) {
      setPending(null);
      toast.error(error);
    }
  };

  const apply = async (change: Change): Promise<void> => {
    setBusy(true);
    try {
      await api.post(`${base}/change`, change);
      setPending(null);
      toast.show('success', change.planId ? 'Plan changed' : 'Seats changed');
      await overview.reload();
      await invoices.reload();
    } catch (error) {
      // Stripe mode without a subscription: upgrades start at Checkout.
      if (error instanceof ApiError && error.status === 409 && change.planId && data?.mode === 'stripe') {
        try {
          const { url } = await api.post<{ url: string }>(`${base}/checkout`, change);
          window.location.assign(url);
          return;
        } catch (checkoutError) {
          toast.error(checkoutError);
        }
      } else toast.error(error);
    } finally {
      setBusy(false);
    }
  };

  const portal = async (): Promise<void> => {
    try {
      const { url } = await api.post<{ url: string }>(`${base}/portal`, {});
      window.location.assign(url);
    } catch (error) {
      toast.show('error', messageOf(error));
    }
  };

  const useTemplate = async (id: string): Promise<void> => {
    const template = billingTemplates.find((candidate) => candidate.id === id);
    if (!template) return;
    try {
      const created = await api.post<{ id: string }>(`${ws(workspace.id)}/workflows`, template.document);
      navigate(`/w/${workspace.id}/workflows/${created.id}`);
    } catch (error) {
      toast.error(error);
    }
  };

  return (
    <div className="page billing" data-testid="billing-page">
      <PageHeader title="Billing & Usage">
        <button className="btn" onClick={() => void portal()} data-testid="manage-payment" disabled={!owner}>
          Manage payment method
        </button>
      </PageHeader>
      {data?.mode === 'local' && (
        <div className="notice billing__banner" data-testid="billing-local-banner">
          Billing runs in local mode: nothing is charged. Plans, seats and limits work as they will with
          Stripe.
        </div>
      )}
      {!data ? (
        <Skeleton rows={6} />
      ) : (
        <>
          <CurrentPlan data={data} />
          <section className="card section" data-testid="usage">
            <h2>
              Usage{' '}
              <small className="muted">
                {day(data.currentPeriod.start)} – {day(data.currentPeriod.end)}
              </small>
            </h2>
            <div className="billing__meters">
              {data.usage.map((meter) => (
                <UsageBar key={meter.meter} meter={meter} />
              ))}
            </div>
          </section>
          <Seats
            key={`${data.plan}:${data.seats.limit}`}
            data={data}
            owner={owner}
            onChange={(seats) => void propose({ seats })}
          />
          {pending && (
            <ChangePreview
              pending={pending}
              plans={data.plans}
              busy={busy}
              onConfirm={() => void apply(pending.change)}
              onCancel={() => setPending(null)}
            />
          )}
          <Plans data={data} owner={owner} onChoose={(planId) => void propose({ planId })} />
          <section className="card section" data-testid="invoices">
            <h2>Invoices</h2>
            {!invoices.data ? (
              <Skeleton rows={2} />
            ) : invoices.data.items.length === 0 ? (
              <p className="muted" data-testid="no-invoices">
                {data.mode === 'local'
                  ? 'No invoices: nothing is charged in local mode.'
                  : 'No invoices yet.'}
              </p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Invoice</th>
                    <th>Date</th>
                    <th>Status</th>
                    <th>Total</th>
                  </tr>
                </thead>
                <tbody>
                  {invoices.data.items.map((invoice) => (
                    <tr key={invoice.id} data-testid="invoice-row">
                      <td className="table__main">
                        {invoice.hostedInvoiceUrl ? (
                          <a href={invoice.hostedInvoiceUrl} target="_blank" rel="noreferrer">
                            {invoice.number ?? invoice.id}
                          </a>
                        ) : (
                          (invoice.number ?? invoice.id)
                        )}
                      </td>
                      <td>{new Date(invoice.created).toLocaleDateString()}</td>
                      <td>{invoice.status && <Badge status={invoice.status} />}</td>
                      <td>{money(invoice.totalCents, invoice.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="card section" data-testid="billing-templates">
            <h2>Trial and upsell workflows</h2>
            <p className="muted">
              Ready-made workflows that start on billing events. Open one on the canvas, change it, publish
              it.
            </p>
            <div className="billing__templates">
              {billingTemplates.map((template) => (
                <div key={template.id} className="billing__template">
                  <strong>{template.title}</strong>
                  <p className="muted">{template.description}</p>
                  <button
                    className="btn btn--small"
                    onClick={() => void useTemplate(template.id)}
                    data-testid={`use-template-${template.id}`}
                    disabled={workspace.role === 'viewer'}
                  >
                    Open on the canvas
                  </button>
                </div>
              ))}
            </div>
          </section>
        </>
      )}
    </div>
  );
}

function CurrentPlan({ data }: { data: BillingOverview }) {
  const plan = data.plans.find((candidate) => candidate.id === data.plan);
  const effective = data.plans.find((candidate) => candidate.id === data.effectivePlan);
  return (
    <section className="card section billing__current" data-testid="current-plan">
      <div>
        <div className="muted">Current plan</div>
        <div className="billing__plan-name" data-testid="current-plan-name">
          {data.status === 'trialing' && data.trialDaysLeft !== null
            ? `${effective?.title ?? ''} trial`
            : plan?.title}
        </div>
        <Badge status={data.status} testId="billing-status" />
      </div>
      <div className="billing__current-detail">
        {data.status === 'trialing' && data.trialDaysLeft !== null ? (
          <p data-testid="trial-days-left">
            <strong>
              {data.trialDaysLeft} day{data.trialDaysLeft === 1 ? '' : 's'} left
            </strong>{' '}
            in your {effective?.title} trial. Afterwards the workspace moves to {plan?.title} unless you
            choose a plan; workflows and data stay.
          </p>
        ) : (
          <p>
            {plan ? `${money(plan.priceMonthlyCents)} per month` : ''}
            {data.effectivePlan !== data.plan
              ? ` · limits of ${effective?.title} apply (${data.status})`
              : ''}
          </p>
        )}
      </div>
    </section>
  );
}

function UsageBar({ meter }: { meter: MeterUsage }) {
  const pct = meter.limit === null || meter.limit === 0 ? 0 : Math.min(100, (meter.used / meter.limit) * 100);
  const level = pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok';
  return (
    <div className="billing__meter" data-testid={`usage-${meter.meter}`}>
      <div className="billing__meter-head">
        <span>{meter.title}</span>
        <span className="muted" data-testid={`usage-${meter.meter}-text`}>
          {meter.used.toLocaleString('en-US')} / {quantity(meter.limit)}
        </span>
      </div>
      <div
        className={`billing__bar billing__bar--${level}`}
        role="progressbar"
        aria-label={meter.title}
        aria-valuenow={Math.round(pct)}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <span style={{ width: `${meter.limit === null ? 0 : Math.max(pct, meter.used > 0 ? 1 : 0)}%` }} />
      </div>
      {meter.overage > 0 && (
        <small className="muted">{meter.overage.toLocaleString('en-US')} over: billed as overage</small>
      )}
    </div>
  );
}

function Seats({
  data,
  owner,
  onChange,
}: {
  data: BillingOverview;
  owner: boolean;
  onChange: (seats: number) => void;
}) {
  const plan = data.plans.find((candidate) => candidate.id === data.plan);
  const [seats, setSeats] = useState(data.seats.limit);
  const sells = plan?.extraSeatPriceCents !== null && plan?.extraSeatPriceCents !== undefined;
  return (
    <section className="card section" data-testid="seats">
      <h2>Seats</h2>
      <p data-testid="seats-text">
        <strong>{data.seats.used}</strong> of {data.seats.limit} seats used ({data.seats.members} member
        {data.seats.members === 1 ? '' : 's'}, {data.seats.pendingInvitations} pending invitation
        {data.seats.pendingInvitations === 1 ? '' : 's'}) · {data.seats.included} included in {plan?.title}
      </p>
      {owner && sells && (
        <div className="inline-form">
          <input
            type="number"
            min={data.seats.included}
            value={seats}
            onChange={(event) => setSeats(Number(event.target.value))}
            aria-label="Seats"
            data-testid="seats-input"
          />
          <button className="btn" onClick={() => onChange(seats)} disabled={seats === data.seats.limit}>
            Change seats ({money(plan?.extraSeatPriceCents ?? 0)} per extra seat)
          </button>
        </div>
      )}
      {!sells && <p className="muted">{plan?.title} sells no extra seats: upgrade for more.</p>}
    </section>
  );
}

function Plans({
  data,
  owner,
  onChoose,
}: {
  data: BillingOverview;
  owner: boolean;
  onChoose: (planId: string) => void;
}) {
  const rank = (id: string): number => data.plans.findIndex((plan) => plan.id === id);
  const featureTitle = (id: string): string =>
    data.features.find((feature) => feature.id === id)?.title ?? id;
  return (
    <section className="card section" data-testid="plans">
      <h2>Plans</h2>
      {!owner && <p className="muted">Only owners change the plan.</p>}
      <div className="billing__plans">
        {data.plans.map((plan) => {
          const current = plan.id === data.plan && data.status !== 'trialing';
          return (
            <div
              key={plan.id}
              className={`billing__plan${current ? ' billing__plan--current' : ''}`}
              data-testid={`plan-${plan.id}`}
            >
              <h3>{plan.title}</h3>
              <div className="billing__price">
                {money(plan.priceMonthlyCents)}
                <small className="muted"> / month</small>
              </div>
              <ul>
                {data.usage.map((meter) => (
                  <li key={meter.meter}>
                    {quantity(plan.quotas[meter.meter] ?? null)}{' '}
                    {plan.quotas[meter.meter] === 1 ? meter.unit.replace(/s$/, '') : meter.unit}
                  </li>
                ))}
                <li>{plan.includedSeats} seats included</li>
                {plan.features.map((feature) => (
                  <li key={feature}>✓ {featureTitle(feature)}</li>
                ))}
              </ul>
              {current ? (
                <span className="badge badge--active">Current plan</span>
              ) : (
                owner && (
                  <button
                    className={`btn btn--small${rank(plan.id) > rank(data.plan) ? ' btn--primary' : ''}`}
                    onClick={() => onChoose(plan.id)}
                    data-testid={`choose-${plan.id}`}
                  >
                    {rank(plan.id) > rank(data.plan) ? `Upgrade to ${plan.title}` : `Move to ${plan.title}`}
                  </button>
                )
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}

function ChangePreview(props: {
  pending: { change: Change; preview: Preview | null };
  plans: Plan[];
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { preview } = props.pending;
  const title = (id: string): string => props.plans.find((plan) => plan.id === id)?.title ?? id;
  return (
    <section className="card section billing__preview" data-testid="change-preview">
      <h2>Confirm the change</h2>
      {!preview ? (
        <Skeleton rows={2} />
      ) : (
        <>
          <p>
            {title(preview.current.planId)} with {preview.current.seats} seats (
            {money(preview.current.monthlyCents, preview.currency)}
            /month) → <strong>{title(preview.proposed.planId)}</strong> with {preview.proposed.seats} seats (
            <strong>{money(preview.proposed.monthlyCents, preview.currency)}/month</strong>).
          </p>
          <p className="muted">
            {preview.mode === 'local'
              ? 'Local mode: nothing is charged.'
              : `Due now: ${money(preview.amountDueNowCents, preview.currency)} (prorated).`}
            {preview.note ? ` ${preview.note}` : ''}
          </p>
        </>
      )}
      <div className="inline-form">
        <button
          className="btn btn--primary"
          onClick={props.onConfirm}
          disabled={!preview || props.busy}
          data-testid="confirm-change"
        >
          Confirm
        </button>
        <button className="btn btn--ghost" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
