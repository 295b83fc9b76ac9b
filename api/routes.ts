import { apiKeyRoutes } from './auth/api-key-routes.js';
import { authRoutes } from './auth/routes.js';
import { auditRoutes } from './audit/routes.js';
import { billingRoutes } from './billing/routes.js';
import { stripeBillingRoutes } from './billing/stripe-routes.js';
import { credentialRoutes } from './credentials/routes.js';
import { eventRoutes } from './events/routes.js';
import { approvalRoutes } from './approvals/routes.js';
import { aiRoutes } from './ai/routes.js';
import { safetyRoutes } from './safety/routes.js';
import { outboundRoutes } from './outbound/routes.js';
import { voiceRoutes } from './voice/routes.js';
import { knowledgeRoutes } from './knowledge/routes.js';
import { analyticsRoutes } from './analytics/routes.js';
import { salesboardRoutes } from './salesboard/routes.js';
import { releasesRoutes } from './releases/routes.js';
import { feedbackRoutes } from './feedback/routes.js';
import { templateRoutes } from './templates/routes.js';
import type { ApiContext } from './http/context.js';
import type { AnyRoute } from './http/route.js';
import { outboundHostRoutes } from './net/routes.js';
import { workItemRoutes } from './work-items/routes.js';
import { openApiRoutes } from './openapi.js';
import { engineRoutes } from './workflows/engine-routes.js';
import { invitationRoutes } from './workspaces/invitation-routes.js';
import { invitationTokenRoutes } from './workspaces/invitation-token-routes.js';
import { memberRoutes } from './workspaces/member-routes.js';
import { workspaceRoutes } from './workspaces/workspace-routes.js';

/**
 * Every route of the server. A feature adds one line here with its own `xxxRoutes(ctx)`;
 * mountRoutes mounts them and puts each in the OpenAPI document.
 */
export function allRoutes(ctx: ApiContext): AnyRoute[] {
  return [
    ...authRoutes(ctx),
    ...workspaceRoutes(ctx),
    ...memberRoutes(ctx),
    ...invitationRoutes(ctx),
    ...invitationTokenRoutes(ctx),
    ...apiKeyRoutes(ctx),
    ...auditRoutes(ctx),
    ...engineRoutes(ctx),
    ...credentialRoutes(ctx),
    ...outboundHostRoutes(ctx),
    ...workItemRoutes(ctx),
    ...eventRoutes(ctx),
    ...approvalRoutes(ctx),
    ...billingRoutes(ctx),
    ...stripeBillingRoutes(ctx),
    ...aiRoutes(ctx),
    ...safetyRoutes(ctx),
    ...outboundRoutes(ctx),
    ...voiceRoutes(ctx),
    ...knowledgeRoutes(ctx),
    ...analyticsRoutes(ctx),
    ...salesboardRoutes(ctx),
    ...releasesRoutes(ctx),
    ...feedbackRoutes(ctx),
    ...templateRoutes(ctx),
    ...openApiRoutes(ctx),
  ];
}
