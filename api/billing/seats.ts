import type { Knex } from 'knex';
import { DomainError } from '../../engine/errors.js';
import { countMembers } from '../workspaces/repository.js';
import { BillingAccounts, seatLimit } from './accounts.js';
import { getPlan, isPlanId } from './plans.js';

/** "Free", "Professional": for messages. */
export function planTitle(plan: string): string {
  return isPlanId(plan) ? getPlan(plan).title : plan.charAt(0).toUpperCase() + plan.slice(1);
}

/** Seats taken and left: members, pending invitations, the billing account's seat limit. */
export interface SeatUsage {
  plan: string;
  limit: number;
  members: number;
  /** Invitations neither accepted, revoked nor expired: each holds a seat. */
  pendingInvitations: number;
}

export async function seatUsage(
  knex: Knex,
  workspace: { id: string; plan: string },
  options: { excludeInvitationId?: string } = {},
): Promise<SeatUsage> {
  const pending = knex('invitations')
    .where({ workspace_id: workspace.id })
    .whereNull('accepted_at')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', knex.fn.now());
  if (options.excludeInvitationId) pending.whereNot({ id: options.excludeInvitationId });
  // Seats come from the billing account: the subscribed plan's included seats, or the seats
  // bought where the plan sells extra ones (a trial does not add seats).
  const account = await new BillingAccounts(knex).get(workspace.id, knex);
  const [members, pendingRow] = await Promise.all([
    countMembers(knex, workspace.id),
    pending.count<{ count: string }>('* as count').first(),
  ]);
  return {
    plan: account.planId,
    limit: seatLimit(account),
    members,
    pendingInvitations: Number(pendingRow?.count ?? 0),
  };
}

/**
 * A seat_limit quota error (402 over HTTP) unless one more seat fits. Inviting needs members + pending invitations + 1 ≤ seats.
 * Accepting needs members + 1 ≤ seats only: the invitation already held its seat, and other
 * pending invitations must not block it — but a plan that shrank since the invitation must.
 */
export function assertSeatAvailable(usage: SeatUsage, for_: 'invitation' | 'accept'): void {
  const taken = for_ === 'invitation' ? usage.members + usage.pendingInvitations : usage.members;
  if (taken + 1 <= usage.limit) return;
  const counted =
    for_ === 'invitation'
      ? `${usage.members} member${usage.members === 1 ? '' : 's'} and ${usage.pendingInvitations} pending invitation${usage.pendingInvitations === 1 ? '' : 's'}`
      : `${usage.members} member${usage.members === 1 ? '' : 's'}`;
  throw new DomainError(
    'quota',
    'seat_limit',
    `The ${planTitle(usage.plan)} plan has ${usage.limit} seats and ${counted} take them all; upgrade the plan or free a seat`,
    undefined,
    { plan: usage.plan, seatLimit: usage.limit, seatsUsed: taken },
  );
}
