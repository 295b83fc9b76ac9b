import type { Request } from 'express';
import type { Knex } from 'knex';
import { actorOf, type Actor } from '../auth/principal.js';
import { uuidv7 } from '../db/ids.js';
import { clientInfo } from '../http/client-info.js';
import type { Principal } from '../http/route.js';

/**
 * The audit log: who did what to which thing of a workspace, when and from where. Admin
 * actions write it (invitations, members, API keys, renames); other features call
 * `audit(knex, entry)` too (workflow publish, ...). Pass the transaction that made the change
 * so the entry exists exactly when the change does. Metadata must hold no secrets.
 */
export interface AuditEntry {
  workspaceId: string;
  actor: Actor;
  /** `noun.verb`, e.g. `invitation.create`, `member.role_change`, `workflow.publish`. */
  action: string;
  target?: { type: string; id: string };
  metadata?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

export async function audit(knex: Knex, entry: AuditEntry): Promise<string> {
  const id = uuidv7();
  await knex('audit_log').insert({
    id,
    workspace_id: entry.workspaceId,
    actor_user_id: entry.actor.userId,
    actor_api_key_id: entry.actor.apiKeyId,
    action: entry.action,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    metadata: JSON.stringify(entry.metadata ?? {}),
    ip: entry.ip ?? null,
    user_agent: entry.userAgent ?? null,
  });
  return id;
}

/** Actor, IP and user agent of a route's request, to spread into an AuditEntry. */
export function auditSource(
  req: Request,
  principal: Principal | null,
): Pick<AuditEntry, 'actor' | 'ip' | 'userAgent'> {
  return { actor: actorOf(principal), ...clientInfo(req) };
}
