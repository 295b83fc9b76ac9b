import type { Knex } from 'knex';
import type { NodeServices } from '../../engine/node.js';
import type { FeatureServiceDeps } from '../services.js';
import { OutboundKeys } from './keys.js';
import { PgOutboundService } from './service.js';

/**
 * The core and earlier features' services per database, so the outbound routes (the inbound
 * webhook's reply classification) reach the same AI layer the nodes do.
 */
const servicesByDb = new WeakMap<Knex, NodeServices>();

export function nodeServicesOf(knex: Knex): NodeServices | undefined {
  return servicesByDb.get(knex);
}

/** What the outbound feature adds to ctx.services (built after the services listed before it in api/services.ts). */
export function outboundNodeServices(deps: FeatureServiceDeps): Partial<NodeServices> {
  servicesByDb.set(deps.knex, deps.services);
  const publicUrl = deps.env.REVFLOW_PUBLIC_URL ?? 'http://localhost:3000';
  const from = deps.env.REVFLOW_OUTBOUND_FROM?.trim();
  return {
    outbound: new PgOutboundService(
      deps.knex,
      new OutboundKeys(deps.knex, deps.secrets),
      publicUrl,
      from || undefined,
    ),
  };
}
