import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';
import { envelopeJson, envelopeOf } from './envelope.js';
import { leadStatuses } from './service.js';

export const updateLeadNode = defineNode({
  type: 'outbound.updateLead',
  family: 'growth',
  title: 'Update lead',
  description:
    "Sets the enrolled lead's status, owner or custom attributes, and can teach the lead score an outcome.",
  docs: 'Status `won` teaches the score a positive outcome and `lost` a negative one; `outcome` does so explicitly.',
  icon: 'user-check',
  sideEffects: true,
  config: z.object({
    status: z.enum(leadStatuses).optional(),
    ownerId: z.string().uuid().nullable().optional().describe('A member of the workspace'),
    outcome: z
      .enum(['none', 'positive', 'negative'])
      .default('none')
      .describe('Teach the lead score (e.g. negative after a sequence ends without a reply)'),
    attributes: z
      .record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
      .optional(),
  }),
  run: async (ctx, input) => {
    const outbound = required(ctx.services.outbound, 'outbound');
    const envelope = envelopeOf(input);
    const { config } = ctx;
    const lead = await outbound.updateLead(ctx.run.workspaceId, envelope.lead.id, {
      ...(config.status && { status: config.status }),
      ...(config.ownerId !== undefined && { ownerId: config.ownerId }),
      ...(config.attributes && { attributes: config.attributes }),
      ...(config.outcome !== 'none' && { outcome: { label: config.outcome, key: ctx.idempotencyKey } }),
    });
    return envelopeJson({ ...envelope, lead }, {});
  },
});
