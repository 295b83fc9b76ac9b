import { z } from 'zod';
import { defineNode } from '../../engine/node.js';
import { jsonLogicRule } from '../schemas.js';

/** Event names as the app reports them: `user.signed_up`, `campaign.first_launched`. */
export const EVENT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export const eventNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(EVENT_NAME_PATTERN, 'use dot-separated words of letters, digits, _ and - (e.g. "user.signed_up")');

/** The event trigger's config; api/events parses stored documents with it. */
export const eventConfigSchema = z.object({
  event: eventNameSchema.describe('The event name this workflow starts on, e.g. "user.signed_up"'),
  filter: jsonLogicRule
    .optional()
    .describe('Only events for which this json-logic condition holds; it sees the event as `input`'),
});

export type EventConfig = z.infer<typeof eventConfigSchema>;

export const eventTrigger = defineNode({
  type: 'trigger.event',
  family: 'trigger',
  title: 'Event',
  description: 'Starts the run when a named product event is posted to the events API.',
  docs: [
    'Events are posted to POST /api/v1/workspaces/<workspace>/events as { id, name, data, occurredAt }.',
    'The output is the event: { id, name, data, occurredAt, receivedAt }.',
    'With a filter, only events for which the json-logic condition holds start a run (`{"var": "input.data.plan"}`).',
    'An event id is stored: posting the same id again starts nothing.',
  ].join('\n\n'),
  icon: 'zap',
  config: eventConfigSchema,
  // The filter is json-logic evaluated against the event, never a template.
  rawFields: ['filter'],
  run: (_ctx, input) => input,
});
