import { z } from 'zod';
import { isJsonObject, type Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { required } from '../services.js';
import { envelopeJson, envelopeOf } from './envelope.js';
import { businessDaysLater, isTimeZone } from './schedule.js';
import { OUTBOUND_SIGNAL, type StopInfo } from './service.js';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 09:00');

/** `replied` for replies and meetings; `stopped` for unsubscribes, bounces, complaints. */
function portFor(stop: StopInfo): 'replied' | 'stopped' {
  return stop.reason === 'replied' || stop.reason === 'meeting' ? 'replied' : 'stopped';
}

export const waitForReplyNode = defineNode({
  type: 'outbound.waitForReply',
  family: 'growth',
  title: 'Wait for reply',
  description:
    "Waits N business days in the lead's time zone, inside a sending window, unless the lead replies first.",
  docs: [
    'A durable wait (no worker is held). It ends early when the lead replies or books a meeting ' +
      '(`replied`, with the classification) or unsubscribes, bounces or complains (`stopped`); otherwise ' +
      "after `businessDays` business days in the lead's time zone (else `defaultTimezone`), at the next " +
      'moment inside the sending window, the envelope goes out on `timeout` — the follow-up.',
    '`timeoutMs` replaces the business-day wait with a plain duration (tests, simulations).',
  ].join('\n\n'),
  icon: 'inbox',
  config: z
    .object({
      businessDays: z.number().int().min(0).max(60).default(3),
      windowStart: clock.default('09:00'),
      windowEnd: clock.default('17:00'),
      defaultTimezone: z
        .string()
        .max(100)
        .refine(isTimeZone, 'an IANA time zone such as Europe/Berlin')
        .default('UTC'),
      timeoutMs: z
        .number()
        .int()
        .min(1)
        .max(366 * 86_400_000)
        .optional(),
    })
    .refine((config) => config.windowStart < config.windowEnd, {
      message: 'the window must end after it starts',
      path: ['windowEnd'],
    }),
  outputs: ['replied', 'stopped', 'timeout'],
  run: async (ctx, input) => {
    const envelope = envelopeOf(input);
    if (ctx.resume?.reason === 'signal') {
      const payload = ctx.resume.payload;
      const stop = (isJsonObject(payload) ? payload : { reason: 'stopped' }) as unknown as StopInfo;
      return ctx.route(portFor(stop), envelopeJson(envelope, { stop: payload }));
    }
    if (ctx.resume) return ctx.route('timeout', input);
    const outbound = required(ctx.services.outbound, 'outbound');
    // A reply that arrived before this step started waiting is not lost.
    const already = await outbound.stopped(ctx.run.workspaceId, envelope.enrollmentId);
    if (already)
      return ctx.route(portFor(already), envelopeJson(envelope, { stop: already as unknown as Json }));
    const { config } = ctx;
    const zone =
      envelope.lead.timezone && isTimeZone(envelope.lead.timezone)
        ? envelope.lead.timezone
        : config.defaultTimezone;
    const until =
      config.timeoutMs !== undefined
        ? new Date(Date.now() + config.timeoutMs)
        : businessDaysLater(new Date(), config.businessDays, zone, {
            start: config.windowStart,
            end: config.windowEnd,
          });
    return ctx.wait({
      signal: { kind: OUTBOUND_SIGNAL, key: envelope.enrollmentId },
      until,
      onTimeout: { port: 'timeout', value: input },
    });
  },
});
