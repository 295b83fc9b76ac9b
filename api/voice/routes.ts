import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The voice feature's routes. */
export function voiceRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
