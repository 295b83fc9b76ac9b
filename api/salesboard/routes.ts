import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The salesboard feature's routes. */
export function salesboardRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
