import type { Knex } from 'knex';
import type Stripe from 'stripe';
import type { JsonObject } from '../../../engine/json.js';
import type { Runtime, RuntimeLogger } from '../../../engine/runtime.js';
import { stripeEventMatches, stripeTriggerConfigSchema } from '../../../nodes/triggers/stripe.js';
import { ActiveTriggerCache, DEFAULT_TRIGGER_CACHE_MS } from '../../events/active-triggers.js';
import { derivedRunId } from '../../events/run-ids.js';
import { startRunOnce } from '../../events/start-once.js';
import { StripeAccountStore, subscriptionState, type ApplyOutcome } from './state.js';

export interface StripeEventRun {
  id: string;
  workflowId: string;
  nodeId: string;
}

export interface StripeEventResult {
  eventId: string;
  type: string;
  /** A redelivery of an event already applied: nothing changed, nothing started. */
  duplicate: boolean;
  workspaceId: string | null;
  /** What applying it to the billing account did: applied, stale, ignored, ... */
  outcome: string;
  runs: StripeEventRun[];
}

interface StoredRow {
  event_id: string;
  workspace_id: string | null;
  received_at: Date;
  applied_at: Date | null;
  outcome: string | null;
  runs: StripeEventRun[] | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AnyObject = Record<string, unknown>;

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : value && typeof value === 'object' && typeof (value as AnyObject).id === 'string'
      ? ((value as AnyObject).id as string)
      : undefined;

/** The run a Stripe event starts for one trigger node; the time is when it was first received. */
export function stripeRunId(
  workspaceId: string,
  eventId: string,
  workflowId: string,
  nodeId: string,
  receivedAtMs: number,
): string {
  return derivedRunId(receivedAtMs, ['stripe', workspaceId, eventId, workflowId, nodeId]);
}

/**
 * Verified Stripe events: stored (deduplicated by event id) before anything else, applied to
 * the workspace's billing account (ordered by the event's own `created`: an older state after
 * a newer one changes nothing), then fed to the workspace's active `trigger.stripe` workflows,
 * one run per event and trigger under a derived id.
 */
export class StripeEventService {
  private readonly triggers: ActiveTriggerCache;
  private readonly store: StripeAccountStore;

  constructor(
    private readonly knex: Knex,
    private readonly runtime: () => Runtime,
    private readonly logger: RuntimeLogger,
    /** Reads the subscription a completed checkout created; undefined without STRIPE_SECRET_KEY. */
    private readonly stripe: Stripe | undefined,
    cacheMs = DEFAULT_TRIGGER_CACHE_MS,
  ) {
    this.triggers = new ActiveTriggerCache(knex, 'trigger.stripe', cacheMs);
    this.store = new StripeAccountStore(knex);
  }

  async receive(event: Stripe.Event): Promise<StripeEventResult> {
    const createdAt = new Date(event.created * 1000);
    const inserted = await this.knex('stripe_events')
      .insert({
        event_id: event.id,
        type: event.type,
        livemode: event.livemode,
        created_at: createdAt,
        payload: JSON.stringify(event),
      })
      .onConflict('event_id')
      .ignore()
      .returning<StoredRow[]>(['event_id', 'workspace_id', 'received_at', 'applied_at', 'outcome', 'runs']);
    let row = inserted[0];
    const duplicate = row === undefined;
    row ??= await this.knex('stripe_events')
      .where({ event_id: event.id })
      .first<StoredRow>('event_id', 'workspace_id', 'received_at', 'applied_at', 'outcome', 'runs');
    if (!row) throw new Error(`Stripe event ${event.id} was neither stored nor found`);
    if (row.applied_at) {
      return {
        eventId: event.id,
        type: event.type,
        duplicate: true,
        workspaceId: row.workspace_id,
        outcome: row.outcome ?? 'applied',
        runs: row.runs ?? [],
      };
    }
    // New, or a redelivery of one whose handling stopped half-way: applying is idempotent
    // (timestamps) and run ids are derived, so doing it again finishes what is missing.
    try {
      const workspaceId = await this.workspaceOf(event);
      const outcome = workspaceId ? await this.apply(workspaceId, event, createdAt) : 'no_workspace';
      const runs = workspaceId ? await this.startRuns(workspaceId, event, row.received_at) : [];
      await this.knex('stripe_events')
        .where({ event_id: event.id })
        .update({
          workspace_id: workspaceId ?? null,
          applied_at: this.knex.fn.now(),
          outcome,
          error: null,
          runs: JSON.stringify(runs),
        });
      return {
        eventId: event.id,
        type: event.type,
        duplicate,
        workspaceId: workspaceId ?? null,
        outcome,
        runs,
      };
    } catch (error) {
      await this.knex('stripe_events')
        .where({ event_id: event.id })
        .update({ error: (error as Error)?.message ?? String(error) })
        .catch(() => undefined);
      throw error;
    }
  }

  /** The workspace an event is about: its customer (ours), else the metadata we put on objects. */
  private async workspaceOf(event: Stripe.Event): Promise<string | undefined> {
    const object = event.data.object as unknown as AnyObject;
    const customer = idOf(object.customer);
    if (customer) {
      const found = await this.store.workspaceOfCustomer(customer);
      if (found) return found;
    }
    if (object.object === 'subscription' && typeof object.id === 'string') {
      const found = await this.store.workspaceOfSubscription(object.id);
      if (found) return found;
    }
    const metadata = (object.metadata ?? {}) as AnyObject;
    const candidates = [metadata.workspace_id, object.client_reference_id].filter(
      (value): value is string => typeof value === 'string' && uuidPattern.test(value),
    );
    for (const candidate of candidates) {
      const exists = await this.knex('workspaces')
        .where({ id: candidate })
        .first<{ id: string } | undefined>('id');
      if (exists) return candidate;
    }
    return undefined;
  }

  private async apply(workspaceId: string, event: Stripe.Event, at: Date): Promise<ApplyOutcome | 'ignored'> {
    const object = event.data.object as unknown as AnyObject;
    if (event.type.startsWith('customer.subscription.') && object.object === 'subscription') {
      const subscription = object as unknown as Stripe.Subscription;
      return this.store.applySubscription(workspaceId, subscriptionState(subscription), at, {
        adopt: event.type === 'customer.subscription.created',
      });
    }
    if (
      object.object === 'invoice' &&
      (event.type === 'invoice.payment_failed' || event.type === 'invoice.paid')
    ) {
      const invoice = object as unknown as Stripe.Invoice;
      const subscriptionId =
        idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(object.subscription);
      return this.store.applyPayment(
        workspaceId,
        subscriptionId,
        event.type === 'invoice.paid' ? 'paid' : 'failed',
        at,
      );
    }
    if (event.type === 'checkout.session.completed' && object.object === 'checkout.session') {
      const session = object as unknown as Stripe.Checkout.Session;
      const customer = idOf(session.customer);
      if (customer) await this.store.setCustomer(workspaceId, customer);
      const subscriptionId = idOf(session.subscription);
      if (session.mode !== 'subscription' || !subscriptionId) return 'ignored';
      if (!this.stripe) {
        this.logger.warn(
          { eventId: event.id },
          'checkout completed but STRIPE_SECRET_KEY is not set: the subscription waits for its own event',
        );
        return 'ignored';
      }
      const subscription = await this.stripe.subscriptions.retrieve(subscriptionId);
      return this.store.applySubscription(workspaceId, subscriptionState(subscription), at, { adopt: true });
    }
    return 'ignored';
  }

  private async startRuns(
    workspaceId: string,
    event: Stripe.Event,
    receivedAt: Date,
  ): Promise<StripeEventRun[]> {
    const triggers = await this.triggers.list(workspaceId);
    const targets = triggers.filter((trigger) => {
      const config = stripeTriggerConfigSchema.safeParse(trigger.config);
      return config.success && stripeEventMatches(config.data.events, event.type);
    });
    const runs: StripeEventRun[] = [];
    for (const target of targets) {
      const { runId } = await startRunOnce(this.runtime(), {
        id: stripeRunId(workspaceId, event.id, target.workflowId, target.nodeId, receivedAt.getTime()),
        workspaceId,
        workflowId: target.workflowId,
        versionId: target.versionId,
        triggerNodeId: target.nodeId,
        input: event as unknown as JsonObject,
      });
      runs.push({ id: runId, workflowId: target.workflowId, nodeId: target.nodeId });
    }
    return runs;
  }
}
