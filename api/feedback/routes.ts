import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The feedback feature's routes. */
export function feedbackRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
