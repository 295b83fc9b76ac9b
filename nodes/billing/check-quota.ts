import { z } from 'zod';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { required } from '../required.js';
import { billingFailure, billingMeters } from './record-usage.js';

export const checkQuotaNode = defineNode({
  type: 'billing.checkQuota',
  family: 'billing',
  title: 'Check quota',
  description: 'Routes to `ok` when the plan has room for `quantity` more of a meter, else to `exceeded`.',
  docs:
    'Reads the usage of the current billing period against the limits of the plan that applies now (a ' +
    "trial's plan while it runs). On a plan that bills overage, usage past the limit still routes to `ok` " +
    'with `overage: true`. Both ports carry `{ quota, input }`; on `exceeded`, `quota.message` names the ' +
    'limit, the plan and the plan that has more.',
  icon: 'gauge',
  outputs: ['ok', 'exceeded'],
  config: z.object({
    meter: z.enum(billingMeters).describe('Which quota'),
    quantity: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .default(1)
      .describe('How much more is about to be used'),
  }),
  run: async (ctx, input) => {
    const billing = required(ctx.services.billing, 'billing');
    try {
      const quota = await billing.checkQuota(ctx.run.workspaceId, ctx.config.meter, ctx.config.quantity);
      return ctx.route(quota.ok ? 'ok' : 'exceeded', { quota: quota as unknown as Json, input });
    } catch (error) {
      throw billingFailure(error);
    }
  },
});
