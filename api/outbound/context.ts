import type { ApiContext } from '../http/context.js';
import { InboundProcessor } from './inbound.js';
import { OutboundKeys } from './keys.js';
import { PgOutboundService } from './service.js';

/** What the outbound routes share: the service over the API's database, keys, the inbound processor. */
export interface OutboundApi {
  service: PgOutboundService;
  keys: OutboundKeys;
  inbound: InboundProcessor;
  publicUrl: string;
}

export function outboundApi(ctx: ApiContext): OutboundApi {
  const keys = new OutboundKeys(ctx.knex, ctx.secrets);
  const service = new PgOutboundService(ctx.knex, keys, ctx.publicUrl);
  // The engine is reached lazily: servers built without one never touch it.
  const inbound = new InboundProcessor(ctx.knex, service, () => ctx.bundle.runtime);
  return { service, keys, inbound, publicUrl: ctx.publicUrl };
}
