import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The ai feature's routes. */
export function aiRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
