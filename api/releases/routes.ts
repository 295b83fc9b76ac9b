import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The releases feature's routes. */
export function releasesRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
