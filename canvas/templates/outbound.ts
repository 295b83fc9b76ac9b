import type { WorkflowDocument } from '../src/api/types.js';

/**
 * "Outbound sequence" (issue 13): a campaign as a workflow. Enrol the lead, pick one of three
 * variants by Thompson sampling, send, wait three business days in the lead's time zone inside
 * 09:00–17:00, follow up in the same thread, wait again; a reply, meeting, unsubscribe or bounce
 * ends the sequence for that lead (the `replied`/`stopped` ports lead nowhere: the run ends).
 * Leads are enrolled from the Leads page (one run per lead, input `{ leadId }`).
 */
export interface OutboundTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

export const outboundSequenceTemplate: OutboundTemplate = {
  id: 'outbound-sequence',
  title: 'Outbound sequence',
  description:
    "Send → wait 3 business days in the lead's time zone → follow-up → stop on reply, meeting, unsubscribe or bounce. Three variants learn which message earns replies.",
  document: {
    schemaVersion: 1,
    name: 'Outbound sequence',
    description:
      'A campaign: enrol leads from the Leads page. Variants are chosen by Thompson sampling on positive replies and meetings.',
    nodes: [
      {
        id: 'start',
        name: 'Enrolled from a list',
        type: 'trigger.manual',
        config: {},
        position: { x: 0, y: 0 },
      },
      { id: 'enroll', name: 'Enrol lead', type: 'outbound.enroll', config: {}, position: { x: 240, y: 0 } },
      {
        id: 'pick',
        name: 'Pick message',
        type: 'outbound.pickVariant',
        config: {
          variants: [
            {
              key: 'pain',
              subject: 'Quick question about {{ lead.company | your team }}',
              body: 'Hi {{ lead.firstName | there }},\n\nHow does {{ lead.company | your team }} handle follow-ups today? We help RevOps teams cut manual sequencing to zero.\n\nWorth a 15-minute call?',
              followUp:
                'Hi {{ lead.firstName | there }}, floating this up in case it got buried. Happy to share how similar teams did it.',
            },
            {
              key: 'proof',
              subject: 'How teams like {{ lead.company | yours }} book 30% more meetings',
              body: 'Hi {{ lead.firstName | there }},\n\nTeams similar to {{ lead.company | yours }} use Revflow to learn which message works and send more of it.\n\nOpen to a short demo next week?',
              followUp:
                'Hi {{ lead.firstName | there }}, should I send over the two-minute case study instead?',
            },
            {
              key: 'short',
              subject: '{{ lead.firstName | Hi }}, worth a chat?',
              body: 'Hi {{ lead.firstName | there }} — one line: we automate outbound that learns from replies. Interested?',
              followUp: 'Any thoughts, {{ lead.firstName | there }}?',
            },
          ],
          explorationFloor: 0.02,
          minSamples: 20,
        },
        position: { x: 480, y: 0 },
      },
      {
        id: 'first',
        name: 'First email',
        type: 'outbound.send',
        config: { content: 'variant' },
        position: { x: 720, y: 0 },
      },
      {
        id: 'wait1',
        name: 'Wait 3 business days',
        type: 'outbound.waitForReply',
        config: { businessDays: 3, windowStart: '09:00', windowEnd: '17:00', defaultTimezone: 'UTC' },
        position: { x: 960, y: 0 },
      },
      {
        id: 'followup',
        name: 'Follow-up',
        type: 'outbound.send',
        config: { content: 'followUp' },
        position: { x: 1200, y: 80 },
      },
      {
        id: 'wait2',
        name: 'Wait 4 business days',
        type: 'outbound.waitForReply',
        config: { businessDays: 4, windowStart: '09:00', windowEnd: '17:00', defaultTimezone: 'UTC' },
        position: { x: 1440, y: 80 },
      },
      {
        id: 'noReply',
        name: 'No reply: teach the score',
        type: 'outbound.updateLead',
        config: { outcome: 'negative', attributes: { sequence: 'finished without reply' } },
        position: { x: 1680, y: 160 },
      },
    ],
    edges: [
      { from: 'start', to: 'enroll' },
      { from: 'enroll', to: 'pick' },
      { from: 'pick', to: 'first' },
      { from: 'first', to: 'wait1' },
      { from: 'wait1', fromPort: 'timeout', to: 'followup' },
      { from: 'followup', to: 'wait2' },
      { from: 'wait2', fromPort: 'timeout', to: 'noReply' },
    ],
    settings: {},
  },
};

export const outboundTemplates: OutboundTemplate[] = [outboundSequenceTemplate];
