import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import { isJsonObject, type Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';
import { envelopeJson } from './envelope.js';

/** Where a lead is named in a run's input: `leadId`, `email`, or an event's `data.email`. */
function fromInput(input: Json): { leadId?: string; email?: string } {
  if (!isJsonObject(input)) return {};
  const data = isJsonObject(input.data) ? input.data : {};
  const leadId = typeof input.leadId === 'string' ? input.leadId : undefined;
  const email =
    typeof input.email === 'string' ? input.email : typeof data.email === 'string' ? data.email : undefined;
  return { ...(leadId && { leadId }), ...(email && { email }) };
}

const text = z.string().max(500).optional();

export const enrollNode = defineNode({
  type: 'outbound.enroll',
  family: 'growth',
  title: 'Enrol lead in campaign',
  description: 'Puts one lead into this campaign (the workflow is the campaign); each lead is enrolled once.',
  docs: [
    'A campaign is the workflow this node is in. Leads come from a list or a filter (the Leads page or ' +
      'POST /api/v1/workspaces/<ws>/outbound/campaigns/<workflow>/enroll start one run per lead with ' +
      '`{ leadId }`) or from an event (`trigger.event` → `data.email`).',
    'A lead already in this campaign, unsubscribed, bounced or on the suppression list goes out on ' +
      '`skipped` with the reason. With `createLead`, an unknown email becomes a lead (counted on the ' +
      '`leads` meter). The first enrolment makes the campaign active (the `campaigns` meter).',
  ].join('\n\n'),
  icon: 'user-plus',
  sideEffects: true,
  onceByKey: true,
  config: z.object({
    leadId: z.string().max(100).optional().describe('Default: input.leadId'),
    email: z.string().max(320).optional().describe('Default: input.email or input.data.email'),
    createLead: z.boolean().default(false).describe('Create the lead when the email is new'),
    name: text,
    company: text,
    title: text,
    timezone: z.string().max(100).optional(),
    segment: z.string().max(100).optional().describe('Segment for the variant bandit, e.g. an ICP tier'),
  }),
  outputs: ['out', 'skipped'],
  run: async (ctx, input) => {
    const outbound = required(ctx.services.outbound, 'outbound');
    const named = fromInput(input);
    const leadId = ctx.config.leadId || named.leadId;
    const email = ctx.config.email || named.email;
    if (!leadId && !email)
      throw new StepFailure(
        'No lead: set leadId or email, or start the run with { leadId }',
        'config',
        'config.leadId',
      );
    const { config } = ctx;
    const result = await outbound.enroll(ctx.run.workspaceId, {
      workflowId: ctx.run.workflowId,
      runId: ctx.run.id,
      ...(leadId && { leadId }),
      ...(email && { email }),
      ...(config.createLead && {
        create: {
          ...(config.name && { name: config.name }),
          ...(config.company && { company: config.company }),
          ...(config.title && { title: config.title }),
          ...(config.timezone && { timezone: config.timezone }),
          source: 'workflow',
        },
      }),
      ...(config.segment && { segment: config.segment }),
    });
    if (result.status === 'skipped')
      return ctx.route('skipped', { reason: result.reason, lead: result.lead as unknown as Json });
    return ctx.route('out', envelopeJson(result.envelope));
  },
});
