import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';

/** The knowledge feature's routes. */
export function knowledgeRoutes(ctx: ApiContext): AnyRoute[] {
  void ctx;
  return [];
}
