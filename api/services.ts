import type { Knex } from 'knex';
import type { NodeServices } from '../engine/node.js';
import type { HttpService } from '../nodes/services.js';
import { billingFor } from './billing/hub.js';
import { billingNodeService } from './billing/node-service.js';
import { createBillingChangeService } from './billing/stripe/node-service.js';
import { CredentialStore } from './credentials/store.js';
import type { SecretBox } from './crypto/secret-box.js';
import { PgMailDeliveryLog } from './mail/deliveries.js';
import { createMailer } from './mail/mailer.js';
import { meteredMailer } from './billing/metered-mail.js';
import { OutboundAllowLists } from './net/allow-list.js';
import { guardedRequest, type GuardedClientOptions } from './net/http-client.js';
import { checkHost, parseAllowHosts } from './net/ssrf.js';
import { WorkItemStore } from './work-items/store.js';
import { createPublisherGuard } from './workflows/publishers.js';
import { ApprovalStore } from './approvals/store.js';
import { aiNodeServices } from './ai/node-services.js';
import { safetyNodeServices } from './safety/node-services.js';
import { outboundNodeServices } from './outbound/node-services.js';
import { voiceNodeServices } from './voice/node-services.js';
import { knowledgeNodeServices } from './knowledge/node-services.js';

/** What a feature's node services are built from: the core services and those of the features before it. */
export interface FeatureServiceDeps {
  knex: Knex;
  secrets: SecretBox | undefined;
  env: ServiceEnv & NodeJS.ProcessEnv;
  services: NodeServices;
}

export interface ServiceEnv {
  SMTP_URL?: string;
  REVFLOW_SSRF_ALLOW_HOSTS?: string;
  REVFLOW_UNSUBSCRIBE_URL?: string;
  /** Billing nodes: Stripe when set (api/billing/stripe), else local billing. */
  STRIPE_SECRET_KEY?: string;
  STRIPE_API_BASE?: string;
  REVFLOW_PUBLIC_URL?: string;
}

/**
 * The NodeServices object every runtime gets (server, worker, CLI, tests): credentials
 * opened with the deployment key, outbound HTTP behind the SSRF guard with the workspace
 * allow-list, SMTP, and Revflow's own tasks and tickets. Without a key (`secrets` undefined) credentials fail clearly.
 */
export function createNodeServices(deps: {
  knex: Knex;
  secrets: SecretBox | undefined;
  env?: ServiceEnv;
  /** Tests: a fake resolver for the guard. */
  http?: GuardedClientOptions;
}): NodeServices {
  const env: ServiceEnv = deps.env ?? process.env;
  const credentials = deps.secrets
    ? new CredentialStore(deps.knex, deps.secrets)
    : {
        resolve: async () => {
          throw new Error('Credentials cannot be opened: this process has no REVFLOW_ENCRYPTION_KEY');
        },
      };
  const allowLists = new OutboundAllowLists(deps.knex, parseAllowHosts(env.REVFLOW_SSRF_ALLOW_HOSTS));
  const http: HttpService = {
    request: async (workspaceId, request) =>
      guardedRequest(request, await allowLists.for(workspaceId), deps.http),
  };
  const mail = createMailer({
    credentials,
    guard: async (workspaceId, host, port) =>
      checkHost(host, port, await allowLists.for(workspaceId), deps.http?.resolve),
    ...(env.SMTP_URL ? { smtpUrl: env.SMTP_URL } : {}),
    ...(env.REVFLOW_UNSUBSCRIBE_URL ? { unsubscribeUrl: env.REVFLOW_UNSUBSCRIBE_URL } : {}),
    // A step re-run after a crash does not send its email again (issue 7).
    deliveries: new PgMailDeliveryLog(deps.knex),
  });
  // Billing (issue 6): every email sent is metered against the plan's quota.
  const billing = billingFor(deps.knex);
  const services: NodeServices = {
    credentials,
    http,
    mail: meteredMailer(mail, billing.usage),
    workItems: new WorkItemStore(deps.knex),
    approvals: new ApprovalStore(deps.knex),
    billing: billingNodeService(billing),
    billingChanges: createBillingChangeService(deps.knex, env),
    // Node types that `requiresRole` run only while their version's publisher holds the role.
    publishers: createPublisherGuard(deps.knex),
  };
  // Features in dependency order: AI first (safety, outbound, voice and knowledge use it).
  for (const feature of [
    aiNodeServices,
    safetyNodeServices,
    outboundNodeServices,
    voiceNodeServices,
    knowledgeNodeServices,
  ]) {
    Object.assign(
      services,
      feature({
        knex: deps.knex,
        secrets: deps.secrets,
        env: env as ServiceEnv & NodeJS.ProcessEnv,
        services,
      }),
    );
  }
  return services;
}
