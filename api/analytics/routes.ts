import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The analytics feature's routes. */
export function analyticsRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
