import type { WorkflowDocument } from '../src/api/types.js';

/**
 * Billing templates (issue 6): the trial → expansion → upsell path as workflows RevOps can open
 * on the canvas and change. They start on the billing product events Revflow emits
 * (`billing.trial_will_end`, `billing.expansion_opportunity`); plan changes sit behind an
 * approval. The Billing & Usage page offers them; a test validates them against the registry.
 */
export interface BillingTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

const DAY_MS = 86_400_000;

export const trialEndingTemplate: BillingTemplate = {
  id: 'billing-trial-ending',
  title: 'Trial ending — nudge or upsell',
  description:
    'Three days before a trial ends: busy workspaces get an upgrade to Professional once someone approves it; quiet ones a friendly nudge.',
  document: {
    schemaVersion: 1,
    name: 'Trial ending — nudge or upsell',
    description:
      'Starts on billing.trial_will_end. Usage above 50% of the trial limits means the team relies on it.',
    nodes: [
      {
        id: 'trial',
        type: 'trigger.event',
        config: { event: 'billing.trial_will_end' },
        position: { x: 0, y: 0 },
      },
      {
        id: 'busy',
        name: 'Usage ≥ 50%?',
        type: 'logic.if',
        config: { condition: { '>=': [{ var: 'input.data.maxUsagePct' }, 50] } },
        position: { x: 260, y: 0 },
      },
      {
        id: 'approve',
        name: 'Approve upgrade',
        type: 'flow.approval',
        config: {
          title: 'Upgrade this workspace to Professional before its trial ends?',
          description:
            'Usage peaked at {{ trigger.data.maxUsagePct }}% of the trial limits; the trial ends {{ trigger.data.trialEndsAt }}.',
          timeoutMs: 2 * DAY_MS,
        },
        position: { x: 520, y: -100 },
      },
      {
        id: 'upgrade',
        name: 'Change plan',
        type: 'billing.changePlan',
        config: { planId: 'professional' },
        position: { x: 780, y: -100 },
      },
      {
        id: 'welcome',
        name: 'Confirm upgrade',
        type: 'email.send',
        config: {
          from: 'Revflow <billing@revflow.example>',
          to: '{{ trigger.data.owners }}',
          subject: 'You are on Revflow Professional',
          text: 'Your trial rolled into the Professional plan: nothing changes for your team. Thank you!',
        },
        position: { x: 1040, y: -100 },
      },
      {
        id: 'nudge',
        name: 'Nudge',
        type: 'email.send',
        config: {
          from: 'Revflow <billing@revflow.example>',
          to: '{{ trigger.data.owners }}',
          subject: 'Your Revflow trial ends in {{ trigger.data.daysLeft }} days',
          text:
            'Your Professional trial ends soon; afterwards the workspace moves to the Free plan and keeps all ' +
            'its workflows and data. Want a hand getting set up? Just reply to this email.',
        },
        position: { x: 520, y: 100 },
      },
    ],
    edges: [
      { from: 'trial', to: 'busy' },
      { from: 'busy', fromPort: 'true', to: 'approve' },
      { from: 'approve', fromPort: 'approved', to: 'upgrade' },
      { from: 'upgrade', to: 'welcome' },
      { from: 'busy', fromPort: 'false', to: 'nudge' },
    ],
    settings: {},
  },
};

export const usageUpgradeTemplate: BillingTemplate = {
  id: 'billing-usage-80',
  title: 'Usage at 80% — upgrade offer',
  description:
    'When a quota passes 80%, the owners get an upgrade offer and the account manager a task with the value at stake.',
  document: {
    schemaVersion: 1,
    name: 'Usage at 80% — upgrade offer',
    description: 'Starts on billing.expansion_opportunity of kind upgrade_tier.',
    nodes: [
      {
        id: 'opportunity',
        type: 'trigger.event',
        config: {
          event: 'billing.expansion_opportunity',
          filter: { '==': [{ var: 'input.data.kind' }, 'upgrade_tier'] },
        },
        position: { x: 0, y: 0 },
      },
      {
        id: 'offer',
        name: 'Upgrade offer',
        type: 'email.send',
        config: {
          from: 'Revflow <billing@revflow.example>',
          to: '{{ trigger.data.owners }}',
          subject:
            'You have used {{ trigger.data.used }} of {{ trigger.data.limit }} {{ trigger.data.meter }}',
          text:
            '{{ trigger.data.reason }}. The {{ trigger.data.suggestedPlan }} plan gives you more room: ' +
            'upgrade from the Billing & Usage page.',
        },
        position: { x: 300, y: -80 },
      },
      {
        id: 'task',
        name: 'Task for sales',
        type: 'tasks.create',
        config: {
          title: 'Upgrade offer: {{ trigger.data.suggestedPlan }} ({{ trigger.data.meter }} at 80%)',
          description:
            'Now {{ trigger.data.currentValueCents / 100 }} USD/month, potential {{ trigger.data.potentialValueCents / 100 }} USD/month.',
          priority: 'high',
          data: '{{ trigger.data }}',
        },
        position: { x: 300, y: 80 },
      },
    ],
    edges: [
      { from: 'opportunity', to: 'offer' },
      { from: 'opportunity', to: 'task' },
    ],
    settings: {},
  },
};

export const billingTemplates: BillingTemplate[] = [trialEndingTemplate, usageUpgradeTemplate];
