import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The safety feature's routes. */
export function safetyRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
