/**
 * Seats per plan now come from the plan catalogue (api/billing/plans.ts); this module only
 * keeps the names older code imports.
 */
import { DEFAULT_PLAN, getPlan, isPlanId, plans } from '../billing/plans.js';

export { DEFAULT_PLAN };

/** Included seats by plan id. */
export const seatsByPlan: Readonly<Record<string, number>> = Object.fromEntries(
  plans.map((plan) => [plan.id, plan.includedSeats]),
);

/** The included seats of a plan; an unknown plan gets the Free plan's. */
export function seatLimit(plan: string): number {
  return getPlan(isPlanId(plan) ? plan : DEFAULT_PLAN).includedSeats;
}

/** "Free", "Professional": for messages. */
export function planTitle(plan: string): string {
  return isPlanId(plan) ? getPlan(plan).title : plan.charAt(0).toUpperCase() + plan.slice(1);
}
