import { analyticsTemplates } from '../../templates/analytics.js';
import { billingTemplates } from '../../templates/billing.js';
import { outboundTemplates } from '../../templates/outbound.js';
import { feedbackTemplates } from '../../templates/feedback.js';
import { playbookTemplates } from '../../templates/playbooks.js';
import { voiceTemplates } from '../../templates/voice.js';
import type { WorkflowDocument } from '../api/types.js';

export interface Template {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

/** Starting points offered by "New workflow". */
export const TEMPLATES: Template[] = [
  {
    id: 'blank',
    title: 'Blank',
    description: 'An empty canvas: add a trigger from the palette.',
    document: {
      schemaVersion: 1,
      name: 'Untitled workflow',
      nodes: [],
      edges: [],
      settings: {},
    },
  },
  {
    id: 'lead-routing',
    title: 'Route inbound leads by size',
    description: 'A webhook receives a lead; a switch sends it to enterprise, mid-market or self-serve.',
    document: {
      schemaVersion: 1,
      name: 'Route inbound leads by size',
      nodes: [
        { id: 'lead', type: 'trigger.webhook', config: { path: 'inbound-lead' }, position: { x: 0, y: 0 } },
        {
          id: 'size',
          type: 'logic.switch',
          config: {
            cases: [
              { port: 'enterprise', condition: { '>=': [{ var: 'input.body.employees' }, 1000] } },
              { port: 'midmarket', condition: { '>=': [{ var: 'input.body.employees' }, 100] } },
            ],
            mode: 'first',
          },
          position: { x: 260, y: 0 },
        },
        {
          id: 'enterprise',
          type: 'data.set',
          config: { fields: [{ name: 'owner', value: 'enterprise-team' }] },
          position: { x: 540, y: -120 },
        },
        {
          id: 'midmarket',
          type: 'data.set',
          config: { fields: [{ name: 'owner', value: 'midmarket-team' }] },
          position: { x: 540, y: 0 },
        },
        {
          id: 'selfserve',
          type: 'data.set',
          config: { fields: [{ name: 'owner', value: 'self-serve' }] },
          position: { x: 540, y: 120 },
        },
      ],
      edges: [
        { from: 'lead', to: 'size' },
        { from: 'size', fromPort: 'enterprise', to: 'enterprise' },
        { from: 'size', fromPort: 'midmarket', to: 'midmarket' },
        { from: 'size', fromPort: 'default', to: 'selfserve' },
      ],
      settings: {},
    },
  },
  // The trial → expansion → upsell path (issue 6), also offered on the Billing & Usage page. Its
  // "Trial ending — nudge or upsell" replaced a near-duplicate that lived here (issue 19).
  ...billingTemplates,
  // Growth analytics (issue 15): churn risk → a task for the account owner.
  ...analyticsTemplates,
  // Release announcements and NPS follow-ups (issue 16).
  ...feedbackTemplates,
  ...voiceTemplates,
  // A campaign as a workflow (issue 13): the outbound sequence.
  ...outboundTemplates,
  // Growth playbooks not covered by a feature's own templates (issue 19): reply → meeting.
  ...playbookTemplates,
];
