import type { WorkflowDocument } from '../src/api/types.js';

/**
 * Growth playbooks (issue 19) the product now supports that no feature template covered yet:
 * a positive reply to an outbound email becomes a task to book the meeting, and the lead moves on.
 */
export interface PlaybookTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

export const replyToMeetingTemplate: PlaybookTemplate = {
  id: 'reply-to-meeting',
  title: 'Reply → meeting',
  description:
    'When a lead answers an outbound email with interest, the sales owner gets an urgent task to book the meeting; other replies get a normal follow-up task.',
  document: {
    schemaVersion: 1,
    name: 'Reply → meeting',
    description:
      'Starts on outbound.replied (the reply is classified: positive, negative, question, out of office, …).',
    nodes: [
      { id: 'reply', type: 'trigger.event', config: { event: 'outbound.replied' }, position: { x: 0, y: 0 } },
      {
        id: 'interested',
        name: 'Interested?',
        type: 'logic.if',
        config: { condition: { '==': [{ var: 'input.data.classification' }, 'positive'] } },
        position: { x: 260, y: 0 },
      },
      {
        id: 'book',
        name: 'Book the meeting',
        type: 'tasks.create',
        config: {
          title: 'Book a meeting with {{ trigger.data.email }}',
          description:
            'They replied with interest to campaign {{ trigger.data.campaignId }} (variant {{ trigger.data.variant }}).',
          priority: 'urgent',
          data: '{{ trigger.data }}',
        },
        position: { x: 520, y: -80 },
      },
      {
        id: 'follow_up',
        name: 'Answer the reply',
        type: 'tasks.create',
        config: {
          title: 'Answer {{ trigger.data.email }} ({{ trigger.data.classification }})',
          priority: 'normal',
          data: '{{ trigger.data }}',
        },
        position: { x: 520, y: 80 },
      },
    ],
    edges: [
      { from: 'reply', to: 'interested' },
      { from: 'interested', fromPort: 'true', to: 'book' },
      { from: 'interested', fromPort: 'false', to: 'follow_up' },
    ],
    settings: {},
  },
};

export const playbookTemplates: PlaybookTemplate[] = [replyToMeetingTemplate];
