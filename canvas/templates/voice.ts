import type { WorkflowDocument } from '../src/api/types.js';

/**
 * Voice-to-Action's template (issue 14): a transcribed call's action items, extracted with owners
 * and due dates. With review on (the default) they wait on the Calls page to be accepted, edited
 * or dropped before tasks are made; switch review off to make every item a task at once.
 */
export interface VoiceTemplate {
  id: string;
  title: string;
  description: string;
  document: WorkflowDocument;
}

export const callToTasksTemplate: VoiceTemplate = {
  id: 'call-to-tasks',
  title: 'Call → tasks',
  description:
    'When a call transcript is uploaded, find its action items (owner, due date, priority, quote) and turn them into tasks after review.',
  document: {
    schemaVersion: 1,
    name: 'Call → tasks',
    description:
      'voice.transcript starts on every uploaded call; voice.extractActions finds the items. Review on: accept them on the Calls page, then "Create tasks". Review off: one task per item, once per call and item.',
    nodes: [
      { id: 'call', type: 'voice.transcript', config: {}, position: { x: 0, y: 0 } },
      {
        id: 'extract',
        name: 'Extract action items',
        type: 'voice.extractActions',
        config: { callId: '{{ input.callId }}', review: true },
        position: { x: 280, y: 0 },
      },
    ],
    edges: [{ from: 'call', to: 'extract' }],
    settings: {},
  },
};

export const voiceTemplates: VoiceTemplate[] = [callToTasksTemplate];
