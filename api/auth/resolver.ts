import type { Request } from 'express';
import type { Knex } from 'knex';
import { unauthorized } from '../http/problem.js';
import { roles, type AuthResolver, type Principal, type Role } from '../http/route.js';
import { findActiveApiKey } from './api-keys.js';
import { isInstanceAdminUser } from './instance-admins.js';
import { findSession } from './sessions.js';
import { sessionToken } from './session-cookie.js';

/**
 * Sessions (cookie) and API keys (`Authorization: Bearer rf_live_...`) → Principal.
 *
 * Nothing is cached beyond one request (a WeakMap keyed by the request), so a revoked key, a
 * logged-out session or a removed member loses access on the very next request.
 * A request with an Authorization header is judged by that header alone, never by a cookie
 * also present: that is what lets API-key requests skip the CSRF check.
 */
export function createAuthResolver(knex: Knex): AuthResolver {
  const principals = new WeakMap<Request, Promise<Principal | null>>();
  const workspaceRoles = new WeakMap<Principal, Map<string, Promise<Role | null>>>();

  async function resolve(req: Request): Promise<Principal | null> {
    const authorization = req.get('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const key = match?.[1] && (await findActiveApiKey(knex, match[1]));
      // Credentials that were sent but do not work are an error even on public routes.
      if (!key) throw unauthorized('The API key is not valid or has been revoked');
      return {
        via: 'apiKey',
        userId: null,
        apiKey: { id: key.id, workspaceId: key.workspace_id, role: key.role },
      };
    }
    const token = sessionToken(req);
    if (!token) return null;
    const session = await findSession(knex, token);
    return session ? { via: 'session', userId: session.user_id, sessionId: session.id } : null;
  }

  async function lookUpRole(principal: Principal, workspaceId: string): Promise<Role | null> {
    if (principal.apiKey) return principal.apiKey.workspaceId === workspaceId ? principal.apiKey.role : null;
    if (!principal.userId) return null;
    const row = await knex('memberships')
      .where({ workspace_id: workspaceId, user_id: principal.userId })
      .first<{ role: string } | undefined>('role');
    return row && (roles as readonly string[]).includes(row.role) ? (row.role as Role) : null;
  }

  return {
    isInstanceAdmin: (principal) => isInstanceAdminUser(knex, principal.apiKey ? null : principal.userId),
    authenticate(req) {
      let principal = principals.get(req);
      if (!principal) {
        principal = resolve(req);
        principals.set(req, principal);
      }
      return principal;
    },
    roleIn(principal, workspaceId) {
      let byWorkspace = workspaceRoles.get(principal);
      if (!byWorkspace)
        workspaceRoles.set(principal, (byWorkspace = new Map<string, Promise<Role | null>>()));
      let role = byWorkspace.get(workspaceId);
      if (!role) {
        role = lookUpRole(principal, workspaceId);
        byWorkspace.set(workspaceId, role);
      }
      return role;
    },
  };
}
