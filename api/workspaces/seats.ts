/**
 * Seats per plan: members plus pending invitations may not exceed them. Plans arrive with
 * billing (a later issue), which replaces this module; nothing else knows these numbers.
 */
export const seatsByPlan: Readonly<Record<string, number>> = {
  free: 3,
  starter: 5,
  professional: 20,
  enterprise: 100,
};

export const DEFAULT_PLAN = 'free';

/** The seats of a plan; an unknown plan gets the Free plan's. */
export function seatLimit(plan: string): number {
  return seatsByPlan[plan] ?? seatsByPlan[DEFAULT_PLAN] ?? 3;
}

/** "Free", "Professional": for messages. */
export function planTitle(plan: string): string {
  return plan.charAt(0).toUpperCase() + plan.slice(1);
}
