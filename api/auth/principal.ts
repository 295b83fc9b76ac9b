import { forbidden, unauthorized } from '../http/problem.js';
import type { Principal } from '../http/route.js';

/** Who did something, as the audit log and `created_by` columns record it. */
export interface Actor {
  userId: string | null;
  apiKeyId: string | null;
}

export function actorOf(principal: Principal | null): Actor {
  return { userId: principal?.userId ?? null, apiKeyId: principal?.apiKey?.id ?? null };
}

/**
 * For routes about a person (their profile, their workspaces, creating a workspace): an API
 * key belongs to a workspace, not a person, so it gets a 403 that says so.
 */
export function requireUser(principal: Principal | null): string {
  if (!principal) throw unauthorized();
  if (!principal.userId) throw forbidden('This route needs a logged-in user; API keys cannot use it');
  return principal.userId;
}
