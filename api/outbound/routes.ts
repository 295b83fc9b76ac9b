import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';
import { outboundApi } from './context.js';
import { campaignRoutes } from './routes-campaigns.js';
import { leadRoutes } from './routes-leads.js';
import { publicRoutes } from './routes-public.js';

/** The outbound feature's routes (issue 13). */
export function outboundRoutes(ctx: ApiContext): AnyRoute[] {
  const outbound = outboundApi(ctx);
  return [...leadRoutes(outbound), ...campaignRoutes(ctx, outbound), ...publicRoutes(outbound)];
}
