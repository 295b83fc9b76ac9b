import type { Role } from './route.js';

/** The workspace of a route declared with `auth: { workspaceRole }` (mountRoutes has checked it). */
export function workspaceScope(workspace: { id: string; role: Role } | null): { id: string; role: Role } {
  if (!workspace) throw new Error('workspaceScope() used on a route without { workspaceRole } auth');
  return workspace;
}
