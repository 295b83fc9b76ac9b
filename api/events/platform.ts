import type { Knex } from 'knex';
import type { JsonObject } from '../../engine/json.js';
import { billingFor } from '../billing/hub.js';

/**
 * Platform events (DESIGN §9): events Revflow itself emits into a workspace's events table so
 * `trigger.event` workflows react to them. Their names are reserved: the public events API
 * refuses them, so no member can forge one.
 */
export const PLATFORM_EVENT_PREFIXES = [
  'billing.',
  'activation.',
  'session.',
  'nps.',
  'release.',
  'feedback.',
  'outbound.',
  'safety.',
  'analytics.',
  'voice.',
  'call.',
  'knowledge.',
  'ai.',
] as const;

export function isPlatformEventName(name: string): boolean {
  return PLATFORM_EVENT_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export interface PlatformEvent {
  workspaceId: string;
  /**
   * Stable for the fact it reports (`outbound.replied:<sendId>`): the events table is unique per
   * (workspace, id), so a fact is emitted once however often it is reported.
   */
  eventId: string;
  name: string;
  data: JsonObject;
  /** The person it concerns, for per-user analytics; kept in `data.userId`. */
  userId?: string;
}

/**
 * Emit platform events from any process (API or queue worker): they are written to the outbox
 * (in the caller's transaction when one is given) and delivered as product events by the API
 * process, which starts the matching `trigger.event` runs.
 */
export function platformEvents(knex: Knex): {
  emit(event: PlatformEvent, db?: Knex | Knex.Transaction): Promise<boolean>;
} {
  const outbox = billingFor(knex).outbox;
  return {
    emit: async (event, db) => {
      if (!isPlatformEventName(event.name)) {
        throw new Error(`${event.name} is not a platform event name (${PLATFORM_EVENT_PREFIXES.join(', ')})`);
      }
      const data = event.userId ? { ...event.data, userId: event.userId } : event.data;
      return outbox.enqueue(
        { workspaceId: event.workspaceId, eventId: event.eventId, name: event.name, data },
        db,
      );
    },
  };
}
