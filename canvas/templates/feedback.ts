import type { WorkflowDocument } from '../src/api/types.js';

/**
 * The growth loop's templates (issue 16): they start on the platform events of the release
 * center and the NPS survey (`release.published`, `nps.responded`), which Revflow emits into
 * the workspaces they concern. A test validates each against the registry and runs it.
 */
export interface FeedbackTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

const FROM = 'Revflow <hello@revflow.example>';

export const releaseAnnouncementTemplate: FeedbackTemplate = {
  id: 'release-announcement',
  title: 'Release published — announce it by email',
  description:
    'When a release note is published for your plan, the people it is for get an email with its summary and a link.',
  document: {
    schemaVersion: 1,
    name: 'Release published — announce it by email',
    description:
      'Starts on release.published, which only reaches workspaces on the plans the note is for; recipients are the members of the roles it is for (in Bcc: nobody sees the others).',
    nodes: [
      {
        id: 'published',
        type: 'trigger.event',
        config: { event: 'release.published' },
        position: { x: 0, y: 0 },
      },
      {
        id: 'announce',
        name: 'Announce',
        type: 'email.send',
        config: {
          from: FROM,
          to: FROM,
          bcc: '{{ trigger.data.recipients }}',
          subject: "What's new: {{ trigger.data.title }}",
          text: '{{ trigger.data.summary }}\n\nRead more: {{ trigger.data.url }}',
        },
        position: { x: 280, y: 0 },
      },
    ],
    edges: [{ from: 'published', to: 'announce' }],
    settings: {},
  },
};

export const npsDetractorTemplate: FeedbackTemplate = {
  id: 'nps-detractor-task',
  title: 'NPS detractor — task for the account owner',
  description:
    'A score of 0–6 opens a high-priority task for the workspace owner to follow up, with the comment.',
  document: {
    schemaVersion: 1,
    name: 'NPS detractor — task for the account owner',
    description: 'Starts on nps.responded with category detractor (one event per completed answer).',
    nodes: [
      {
        id: 'answered',
        type: 'trigger.event',
        config: { event: 'nps.responded', filter: { '==': [{ var: 'input.data.category' }, 'detractor'] } },
        position: { x: 0, y: 0 },
      },
      {
        id: 'follow-up',
        name: 'Follow up',
        type: 'tasks.create',
        config: {
          title: 'NPS {{ trigger.data.score }}/10 from {{ trigger.data.name }}: follow up',
          description:
            '{{ trigger.data.email }} ({{ trigger.data.plan }}) answered {{ trigger.data.score }}. Comment: {{ trigger.data.comment }}',
          priority: 'high',
          assignee: '{{ trigger.data.owners[0] }}',
          data: '{{ trigger.data }}',
        },
        position: { x: 280, y: 0 },
      },
    ],
    edges: [{ from: 'answered', to: 'follow-up' }],
    settings: {},
  },
};

export const npsPromoterTemplate: FeedbackTemplate = {
  id: 'nps-promoter-review',
  title: 'NPS promoter — ask for a review',
  description: 'A score of 9–10 sends a thank-you that asks for a public review.',
  document: {
    schemaVersion: 1,
    name: 'NPS promoter — ask for a review',
    description: 'Starts on nps.responded with category promoter.',
    nodes: [
      {
        id: 'answered',
        type: 'trigger.event',
        config: { event: 'nps.responded', filter: { '==': [{ var: 'input.data.category' }, 'promoter'] } },
        position: { x: 0, y: 0 },
      },
      {
        id: 'review',
        name: 'Review request',
        type: 'email.send',
        config: {
          from: FROM,
          to: '{{ trigger.data.email }}',
          subject: 'Thank you — would you share that in a review?',
          text:
            'Hi {{ trigger.data.name }},\n\nThank you for the {{ trigger.data.score }}/10! If Revflow helps your team, ' +
            'a short public review helps others find it: https://revflow.example/review\n\nThe Revflow team',
        },
        position: { x: 280, y: 0 },
      },
    ],
    edges: [{ from: 'answered', to: 'review' }],
    settings: {},
  },
};

export const feedbackTemplates: FeedbackTemplate[] = [
  releaseAnnouncementTemplate,
  npsDetractorTemplate,
  npsPromoterTemplate,
];
