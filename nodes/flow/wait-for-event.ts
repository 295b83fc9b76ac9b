import { z } from 'zod';
import { isJsonObject, type Json } from '../../engine/json.js';
import { evaluateLogic, truthy } from '../../engine/logic.js';
import { defineNode } from '../../engine/node.js';
import { jsonLogicRule } from '../schemas.js';
import { eventNameSchema } from '../triggers/event.js';

/** Signal kind of product events; the key is the event name (api/events delivers them). */
export const EVENT_SIGNAL = 'event';

/** What a waiting step keeps for the events API to match an event against. */
export interface EventWaitMatch {
  correlation: { path: string; value: Json } | null;
  condition: Json;
}

/** Read a dot path (`data.email`) in an event; own properties only. */
function pathValue(value: Json, path: string): Json | undefined {
  let current: Json | undefined = value;
  for (const segment of path.split('.')) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/**
 * Does a posted event match a waiting step? Its correlation value must equal the event's value
 * at the path, and its condition (json-logic, the event as `input`) must hold.
 */
export function eventMatches(match: Json, event: Json): boolean {
  if (!isJsonObject(match)) return true;
  const { correlation, condition } = match as unknown as EventWaitMatch;
  if (correlation) {
    const actual = pathValue(event, correlation.path);
    if (actual === undefined || JSON.stringify(actual) !== JSON.stringify(correlation.value)) return false;
  }
  if (condition !== null && condition !== undefined) {
    const scope = {
      input: event,
      trigger: event,
      nodes: new Map<string, Json>(),
      run: null,
      workspace: null,
      vars: {},
    };
    return truthy(evaluateLogic(condition, scope));
  }
  return true;
}

const correlationValue = z.union([z.string(), z.number(), z.boolean()]);

export const waitForEventNode = defineNode({
  type: 'flow.waitForEvent',
  family: 'flow',
  title: 'Wait for event',
  description: 'Suspends the run until a matching product event is posted, or goes to `timeout`.',
  docs: [
    'Events are posted to POST /api/v1/workspaces/<workspace>/events as { id, name, data }.',
    'The step resumes on the first event with this `event` name that matches: with `correlationKey`, the ' +
      "event's value at `correlationPath` (default `data.email`) must equal it — e.g. correlationKey " +
      '`{{ input.email }}` waits for the event of that person; with `condition`, a json-logic rule that sees ' +
      'the event as `input` (`{"==": [{"var": "input.data.plan"}, "pro"]}`) must hold.',
    'On `out` it emits the event { id, name, data, occurredAt, receivedAt }. After `timeoutMs` without a ' +
      'matching event it emits its input on `timeout`. Without a timeout it waits as long as the run may.',
    'Only events posted after the step started waiting count. While it waits the run holds no worker.',
  ].join('\n\n'),
  icon: 'radio',
  config: z.object({
    event: eventNameSchema.describe('The event name to wait for, e.g. "invoice.paid"'),
    correlationKey: correlationValue
      .optional()
      .describe(
        'Resume only for the event whose value at correlationPath equals this, e.g. {{ input.email }}',
      ),
    correlationPath: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dot path such as data.email')
      .default('data.email')
      .describe('Where the correlation value is in the event'),
    condition: jsonLogicRule
      .optional()
      .describe('Resume only for events for which this json-logic condition holds (the event is `input`)'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(366 * 86_400_000)
      .optional()
      .describe('Give up after this many milliseconds: the input goes out on `timeout`'),
  }),
  outputs: ['out', 'timeout'],
  rawFields: ['condition'],
  run: (ctx, input) => {
    if (ctx.resume?.reason === 'signal') return ctx.route('out', ctx.resume.payload);
    // A timer resume never reaches here: the engine emits `onTimeout` itself.
    if (ctx.resume) return ctx.route('timeout', input);
    const { config } = ctx;
    const match: EventWaitMatch = {
      correlation:
        config.correlationKey === undefined
          ? null
          : { path: config.correlationPath, value: config.correlationKey },
      condition: config.condition ?? null,
    };
    return ctx.wait({
      signal: { kind: EVENT_SIGNAL, key: config.event, match: match as unknown as Json },
      ...(config.timeoutMs !== undefined && { until: new Date(Date.now() + config.timeoutMs) }),
      onTimeout: { port: 'timeout', value: input },
    });
  },
});
