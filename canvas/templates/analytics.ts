import type { WorkflowDocument } from '../src/api/types.js';

/**
 * Analytics templates (issue 15): workflows that start on the growth events Revflow emits.
 * "Churn risk → task for the account owner" starts on `analytics.churn_risk_high` (emitted
 * once each time a workspace's churn-risk score crosses the threshold) and gives the
 * workspace's owner a task with the score and its top reasons.
 */
export interface AnalyticsTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

export const churnRiskTaskTemplate: AnalyticsTemplate = {
  id: 'analytics-churn-risk-task',
  title: 'Churn risk → task for the account owner',
  description:
    'When a workspace’s churn-risk score crosses the threshold, its owner gets a task with the score and the top reasons.',
  document: {
    schemaVersion: 1,
    name: 'Churn risk → task for the account owner',
    description: 'Starts on analytics.churn_risk_high (once per crossing of the threshold).',
    nodes: [
      {
        id: 'risk',
        name: 'Churn risk high',
        type: 'trigger.event',
        config: { event: 'analytics.churn_risk_high' },
        position: { x: 0, y: 0 },
      },
      {
        id: 'task',
        name: 'Task for the owner',
        type: 'tasks.create',
        config: {
          title: 'Churn risk {{ trigger.data.score }}/100: {{ trigger.data.workspaceName }}',
          description: 'Top reasons: {{ trigger.data.reasons }}. Reach out this week.',
          priority: 'high',
          assignee: '{{ trigger.data.ownerEmail }}',
          data: {
            workspaceId: '{{ trigger.data.workspaceId }}',
            score: '{{ trigger.data.score }}',
            reasons: '{{ trigger.data.reasons }}',
          },
        },
        position: { x: 280, y: 0 },
      },
    ],
    edges: [{ from: 'risk', to: 'task' }],
    settings: {},
  },
};

export const analyticsTemplates: AnalyticsTemplate[] = [churnRiskTaskTemplate];
