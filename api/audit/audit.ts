import type { Request } from 'express';
import type { Knex } from 'knex';
import { actorOf, type Actor } from '../auth/principal.js';
import { uuidv7 } from '../db/ids.js';
import { chainHead, entryHash, type ChainedFields } from './chain.js';
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
  // Chained under the workspace's lock: in the caller's transaction when given one (the entry
  // exists exactly when the change does), else in one of its own.
  if (!knex.isTransaction) return knex.transaction((trx) => audit(trx, entry));
  const trx = knex as Knex.Transaction;
  const id = uuidv7();
  const head = await chainHead(trx, entry.workspaceId);
  const createdAt = new Date();
  const fields: ChainedFields = {
    id,
    workspace_id: entry.workspaceId,
    seq: head.seq + 1,
    actor_ref: entry.actor.userId
      ? `user:${entry.actor.userId}`
      : entry.actor.apiKeyId
        ? `apiKey:${entry.actor.apiKeyId}`
        : '',
    action: entry.action,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    // What jsonb gives back: keys re-ordered, undefined dropped — hashed the way it will be read.
    metadata: JSON.parse(JSON.stringify(entry.metadata ?? {})) as unknown,
    ip: entry.ip ?? null,
    user_agent: entry.userAgent ?? null,
    created_at: createdAt.toISOString(),
  };
  await trx('audit_log').insert({
    id,
    workspace_id: entry.workspaceId,
    actor_user_id: entry.actor.userId,
    actor_api_key_id: entry.actor.apiKeyId,
    action: entry.action,
    target_type: fields.target_type,
    target_id: fields.target_id,
    metadata: JSON.stringify(fields.metadata),
    ip: fields.ip,
    user_agent: fields.user_agent,
    created_at: createdAt,
    seq: fields.seq,
    prev_hash: head.hash,
    hash: entryHash(head.hash, fields),
    actor_ref: fields.actor_ref,
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
