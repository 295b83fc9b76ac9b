import { z } from 'zod';
import { audit, auditSource } from '../audit/audit.js';
import type { ApiContext } from '../http/context.js';
import { problemResponses } from '../http/responses.js';
import { defineRoute, type AnyRoute } from '../http/route.js';
import { workspaceScope } from '../http/workspace-scope.js';
import { OutboundAllowLists } from './allow-list.js';

const workspaceParams = z.object({ workspaceId: z.uuid() });
const host = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(300)
  .regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/, 'a host name or IP, optionally with :port');
const hostsSchema = z.object({ hosts: z.array(host).max(200) }).meta({ id: 'OutboundHosts' });

/**
 * The hosts a workspace's HTTP nodes may reach even though they resolve to private or
 * loopback addresses (an internal CRM, a staging API). Admins only: it opens the SSRF guard.
 */
export function outboundHostRoutes({ knex }: ApiContext): AnyRoute[] {
  const lists = new OutboundAllowLists(knex, [], 0);
  const path = '/api/v1/workspaces/:workspaceId/outbound-hosts';
  return [
    defineRoute({
      method: 'get',
      path,
      summary: 'Hosts allowed past the SSRF guard for this workspace',
      tags: ['credentials'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      responses: {
        200: { description: 'The allow-list', schema: hostsSchema },
        ...problemResponses(401, 403, 404),
      },
      handler: async ({ workspace }) => ({
        status: 200,
        body: { hosts: await lists.hostsOf(workspaceScope(workspace).id) },
      }),
    }),
    defineRoute({
      method: 'put',
      path,
      summary: 'Replace the allow-list (host or host:port entries)',
      tags: ['credentials'],
      auth: { workspaceRole: 'admin' },
      params: workspaceParams,
      body: hostsSchema,
      responses: {
        200: { description: 'The allow-list', schema: hostsSchema },
        ...problemResponses(400, 401, 403, 404),
      },
      handler: async ({ req, workspace, body, principal }) => {
        const scope = workspaceScope(workspace);
        const hosts = [...new Set(body.hosts)];
        await lists.setHosts(scope.id, hosts);
        await audit(knex, {
          workspaceId: scope.id,
          ...auditSource(req, principal),
          action: 'outbound_hosts.update',
          metadata: { hosts },
        });
        return { status: 200, body: { hosts } };
      },
    }),
  ];
}
