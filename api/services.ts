import type { Knex } from 'knex';
import type { NodeServices } from '../engine/node.js';
import type { HttpService } from '../nodes/services.js';
import { CredentialStore } from './credentials/store.js';
import type { SecretBox } from './crypto/secret-box.js';
import { createMailer } from './mail/mailer.js';
import { OutboundAllowLists } from './net/allow-list.js';
import { guardedRequest, type GuardedClientOptions } from './net/http-client.js';
import { checkHost, parseAllowHosts } from './net/ssrf.js';
import { WorkItemStore } from './work-items/store.js';

export interface ServiceEnv {
  SMTP_URL?: string;
  REVFLOW_SSRF_ALLOW_HOSTS?: string;
  REVFLOW_UNSUBSCRIBE_URL?: string;
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
  });
  return { credentials, http, mail, workItems: new WorkItemStore(deps.knex) };
}
