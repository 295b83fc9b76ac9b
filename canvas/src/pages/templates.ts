import { analyticsTemplates } from '../../templates/analytics.js';
import { billingTemplates } from '../../templates/billing.js';
import { outboundTemplates } from '../../templates/outbound.js';
import { feedbackTemplates } from '../../templates/feedback.js';
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
    id: 'trial-ending',
    title: 'Trial ending: nudge or upsell',
    description: 'Active trials get a plan offer; the others a friendly nudge.',
    document: {
      schemaVersion: 1,
      name: 'Trial ending: nudge or upsell',
      nodes: [
        {
          id: 'trigger',
          type: 'trigger.manual',
          config: { sampleInput: { account: 'Acme', activationScore: 72, usagePct: 91 } },
          position: { x: 0, y: 0 },
        },
        {
          id: 'active',
          type: 'logic.if',
          config: { condition: { '>=': [{ var: 'input.activationScore' }, 60] } },
          position: { x: 260, y: 0 },
        },
        {
          id: 'offer',
          type: 'code.javascript',
          config: {
            source:
              "return { account: input.account, plan: input.usagePct > 80 ? 'professional' : 'starter' }",
          },
          retry: { maxAttempts: 3, backoff: 'exponential', initialDelayMs: 500 },
          timeoutMs: 2000,
          position: { x: 520, y: -80 },
        },
        {
          id: 'nudge',
          type: 'data.set',
          config: {
            keepInput: false,
            fields: [
              { name: 'account', value: '{{ input.account }}' },
              {
                name: 'message',
                value: 'Hi {{ input.account }}, your trial ends soon. Need a hand getting set up?',
              },
            ],
          },
          position: { x: 520, y: 80 },
        },
      ],
      edges: [
        { from: 'trigger', to: 'active' },
        { from: 'active', fromPort: 'true', to: 'offer' },
        { from: 'active', fromPort: 'false', to: 'nudge' },
      ],
      settings: { timeoutMs: 60000, concurrency: 20 },
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
  // The trial → expansion → upsell path (issue 6), also offered on the Billing & Usage page.
  ...billingTemplates,
  // Growth analytics (issue 15): churn risk → a task for the account owner.
  ...analyticsTemplates,
  // Release announcements and NPS follow-ups (issue 16).
  ...feedbackTemplates,
  // A campaign as a workflow (issue 13): the outbound sequence.
  ...outboundTemplates,
];
