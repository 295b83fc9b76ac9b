import type { BillingService, QuotaStatus } from '../../nodes/services.js';
import type { Billing } from './hub.js';
import { meterIds, type MeterId } from './plans.js';
import { UsageRejected, type QuotaCheck } from './usage.js';

function meterOf(meter: string): MeterId {
  if (!(meterIds as readonly string[]).includes(meter))
    throw new UsageRejected(`Unknown meter "${meter}"; meters are ${meterIds.join(', ')}`, 'meter');
  return meter as MeterId;
}

function status(check: QuotaCheck): QuotaStatus {
  return {
    ok: check.ok,
    meter: check.meter,
    planId: check.planId,
    used: check.used,
    limit: check.limit,
    remaining: check.remaining,
    overage: check.overage,
    ...(check.message !== undefined && { message: check.message }),
  };
}

/** `ctx.services.billing`: what billing.recordUsage, billing.checkQuota (and AI nodes) call. */
export function billingNodeService(billing: Billing): BillingService {
  return {
    async recordUsage(workspaceId, input) {
      const meter = meterOf(input.meter);
      // Enforcing: refuse instead of recording, exactly (QuotaExceeded names the limit and the plan).
      const { counted } = await billing.usage.record(
        workspaceId,
        {
          meter,
          quantity: input.quantity,
          idempotencyKey: input.idempotencyKey,
          source: 'node',
          ...(input.subject !== undefined && { subject: input.subject }),
          ...(input.occurredAt !== undefined && { occurredAt: input.occurredAt }),
        },
        { enforce: input.enforce },
      );
      return { counted, quota: status(await billing.usage.evaluate(workspaceId, meter, 0)) };
    },
    async checkQuota(workspaceId, meter, quantity) {
      return status(await billing.usage.evaluate(workspaceId, meterOf(meter), quantity));
    },
  };
}
