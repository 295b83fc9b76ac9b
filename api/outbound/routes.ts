import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The outbound feature's routes. */
export function outboundRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
