import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { JsonObject } from '../../engine/json.js';
import { EventService } from '../events/service.js';
import type { ApiContext } from '../http/context.js';
import { seatUsage } from './seats.js';
import { billingSettings } from './settings.js';
import type { BillingAccountRow } from './accounts.js';
import { ownerEmails } from './expansions.js';
import { billingFor, type Billing } from './hub.js';
import { DEFAULT_PLAN, getPlan, TRIAL_PLAN } from './plans.js';

const DAY_MS = 86_400_000;
/** `billing.trial_will_end` goes out this long before the trial ends (as Stripe's does). */
export const TRIAL_WILL_END_MS = 3 * DAY_MS;

export interface SweepResult {
  trialWillEnd: number;
  trialEnded: number;
  emitted: number;
}

/**
 * Trials over time: `billing.trial_will_end` three days before a trial ends, and at its end
 * without a plan chosen (no payment), the fall-back to Free and `billing.trial_ended`. Data
 * and workflows stay; only limits change. Trials under a Stripe subscription are Stripe's:
 * its webhooks move them. Then pending billing events are emitted.
 */
export async function sweepBilling(
  knex: Knex,
  billing: Billing,
  now: Date = new Date(),
): Promise<SweepResult> {
  await billing.accounts.ensureAll();
  const soon = await knex<BillingAccountRow>('billing_accounts')
    .where({ status: 'trialing' })
    .andWhere('trial_ends_at', '>', now)
    .andWhere('trial_ends_at', '<=', new Date(now.getTime() + TRIAL_WILL_END_MS));
  let trialWillEnd = 0;
  for (const row of soon) {
    const endsAt = row.trial_ends_at as Date;
    const eventId = `billing.trial_will_end:${endsAt.toISOString()}`;
    const known = await knex('billing_outbox')
      .where({ workspace_id: row.workspace_id, event_id: eventId })
      .first<{ event_id: string } | undefined>('event_id');
    if (known) continue;
    const queued = await billing.outbox.enqueue({
      workspaceId: row.workspace_id,
      eventId,
      name: 'billing.trial_will_end',
      data: {
        trialEndsAt: endsAt.toISOString(),
        daysLeft: Math.max(0, Math.ceil((endsAt.getTime() - now.getTime()) / DAY_MS)),
        trialPlan: TRIAL_PLAN,
        fallbackPlan: DEFAULT_PLAN,
        ...(await usageSummary(billing, row.workspace_id)),
        owners: await ownerEmails(knex, row.workspace_id),
      },
    });
    if (queued) trialWillEnd += 1;
  }

  const ended = await knex<BillingAccountRow>('billing_accounts')
    .where({ status: 'trialing' })
    .whereNull('stripe_subscription_id')
    .andWhere('trial_ends_at', '<=', now);
  let trialEnded = 0;
  for (const row of ended) {
    const endsAt = row.trial_ends_at as Date;
    const usage = {
      ...(await usageSummary(billing, row.workspace_id)),
      owners: await ownerEmails(knex, row.workspace_id),
    };
    const changed = await knex.transaction(async (trx) => {
      const updated = await trx('billing_accounts')
        .where({ workspace_id: row.workspace_id, status: 'trialing' })
        .whereNull('stripe_subscription_id')
        .update({
          plan_id: DEFAULT_PLAN,
          status: 'free',
          seats: getPlan(DEFAULT_PLAN).includedSeats,
          updated_at: now,
        });
      if (updated === 0) return false;
      await billing.outbox.enqueue(
        {
          workspaceId: row.workspace_id,
          eventId: `billing.trial_ended:${endsAt.toISOString()}`,
          name: 'billing.trial_ended',
          data: { trialEndsAt: endsAt.toISOString(), trialPlan: TRIAL_PLAN, plan: DEFAULT_PLAN, ...usage },
        },
        trx,
      );
      return true;
    });
    if (changed) trialEnded += 1;
  }
  await seatsFull(knex, billing);
  const emitted = await billing.outbox.flush();
  return { trialWillEnd, trialEnded, emitted };
}

/** Workspaces whose seats are all taken while invitations wait: an add_seats opportunity each. */
async function seatsFull(knex: Knex, billing: Billing): Promise<void> {
  const waiting = await knex('invitations')
    .whereNull('accepted_at')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', knex.fn.now())
    .distinct<Array<{ workspace_id: string }>>('workspace_id')
    .limit(1000);
  for (const { workspace_id: workspaceId } of waiting) {
    const account = await billing.accounts.get(workspaceId);
    const usage = await seatUsage(knex, { id: workspaceId, plan: account.planId });
    if (usage.members + usage.pendingInvitations >= usage.limit)
      await billing.expansions.seatsFull(account, usage);
  }
}

/** Usage in percent of the limits, for workflows deciding between a nudge and an upsell. */
async function usageSummary(billing: Billing, workspaceId: string): Promise<JsonObject> {
  const usage = await billing.usage.usage(workspaceId);
  const percents: JsonObject = {};
  let max = 0;
  for (const meter of usage) {
    if (meter.limit === null || meter.limit === 0) continue;
    const pct = Math.round((meter.used / meter.limit) * 100);
    percents[meter.meter] = pct;
    max = Math.max(max, pct);
  }
  return { usagePct: percents, maxUsagePct: max };
}

/**
 * The API process's part of billing: billing events are emitted through the events service
 * (so `trigger.event` workflows start on them), and a timer sweeps trials and the outbox.
 */
export function startBilling(ctx: Pick<ApiContext, 'knex' | 'bundle' | 'logger'>): { stop: () => void } {
  const billing = billingFor(ctx.knex);
  const logger: Logger = ctx.logger;
  const events = new EventService(ctx.knex, () => ctx.bundle.runtime, logger, 0);
  billing.outbox.attach(events, (error) => logger.warn({ err: error }, 'emitting a billing event failed'));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepBilling(ctx.knex, billing)
      .catch((error: unknown) => logger.warn({ err: error }, 'billing sweep failed'))
      .finally(() => {
        running = false;
      });
  }, billingSettings().REVFLOW_BILLING_SWEEP_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      billing.outbox.detach();
    },
  };
}
