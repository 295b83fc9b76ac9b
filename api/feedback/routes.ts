import type { ApiContext } from '../http/context.js';
import type { AnyRoute } from '../http/route.js';
import { feedbackAdminRoutes } from './admin-routes.js';
import { boardRoutes } from './board-routes.js';
import { npsRoutes } from './nps-routes.js';

/** The feedback feature's routes: the board, the NPS survey, and what instance admins do with both. */
export function feedbackRoutes(ctx: ApiContext): AnyRoute[] {
  return [...boardRoutes(ctx), ...npsRoutes(ctx), ...feedbackAdminRoutes(ctx)];
}
