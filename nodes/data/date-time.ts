import { TZDate } from '@date-fns/tz';
import { add, format } from 'date-fns';
import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { outputOptions, withResult } from './output.js';

/**
 * Dates in IANA time zones with date-fns and @date-fns/tz: a TZDate reads and shifts wall-clock
 * time in its zone (adding a day across a DST change keeps the clock time; a time in a DST gap
 * moves forward), and date-fns formats it.
 */

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z.string().min(1).max(100).refine(isTimeZone, 'not an IANA time zone (e.g. Europe/Berlin)');

/**
 * date-fns patterns (yyyy MM dd HH mm ss SSS EEE ...; text in '...' is literal). `XXX` keeps the
 * meaning it always had here, the offset as +00:00 even in UTC (date-fns' `xxx`).
 */
export function formatInstant(
  instant: number,
  zone: string,
  pattern: string,
  field = 'config.format',
): string {
  const fnsPattern = pattern.replace(/'[^']*'|XXX/g, (match) => (match === 'XXX' ? 'xxx' : match));
  try {
    return format(new TZDate(instant, zone), fnsPattern);
  } catch (error) {
    throw new StepFailure(`${field}: ${(error as Error).message}`, 'invalid_input', field);
  }
}

function parseInstant(value: Json | undefined, zone: string, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value.trim() === '')
    throw new StepFailure(
      `${field}: a date is required (ISO 8601 text or epoch milliseconds)`,
      'invalid_input',
      field,
    );
  const text = value.trim();
  // A date or date-time without an offset is wall-clock time in the node's zone.
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(text);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = local;
    const at = new TZDate(+y!, +mo! - 1, +d!, +h, +mi, +s, +ms.padEnd(3, '0'), zone).getTime();
    if (!Number.isNaN(at)) return at;
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new StepFailure(`${field}: "${text.slice(0, 100)}" is not a date`, 'invalid_input', field);
  return parsed;
}

const units = ['milliseconds', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
const fixedMs: Record<string, number> = { milliseconds: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000 };

/** Add in the zone's calendar: `1 day` across a DST change is the same wall-clock time tomorrow; Jan 31 + 1 month is Feb 28/29. */
function addTo(instant: number, amount: number, unit: (typeof units)[number], zone: string): number {
  const fixed = fixedMs[unit];
  const result =
    fixed !== undefined
      ? instant + amount * fixed
      : add(new TZDate(instant, zone), { [unit]: amount }).getTime();
  // Dates end at ±8.64e15 ms (year ±275,760).
  if (!Number.isFinite(result) || Math.abs(result) > 8.64e15)
    throw new StepFailure(
      'config.amount: the result is not a representable date',
      'invalid_input',
      'config.amount',
    );
  return result;
}

export const dateTimeNode = defineNode({
  type: 'data.dateTime',
  family: 'data',
  title: 'Date & time',
  description: 'Parses, formats, shifts and compares dates in an IANA time zone.',
  docs:
    'Dates are ISO 8601 text or epoch milliseconds; text without an offset is read in `timeZone`. ' +
    '`format` patterns are date-fns patterns (yyyy MM dd HH mm ss SSS EEE XXX, ...), with literal text in single quotes. ' +
    'Adding days, weeks, months or years keeps the wall-clock time across daylight-saving changes. ' +
    '`compare` outputs { before, after, equal, diffMs, diffDays } of value minus other.',
  icon: 'calendar',
  config: z
    .object({
      operation: z.enum(['parse', 'format', 'add', 'compare']),
      value: z.union([z.string(), z.number()]).optional().describe('The date; default: now'),
      timeZone: timeZone.default('UTC'),
      format: z.string().max(200).default("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
      amount: z.number().default(0),
      unit: z.enum(units).default('days'),
      other: z.union([z.string(), z.number()]).optional().describe('compare: the other date; default: now'),
      ...outputOptions('date'),
    })
    .refine((config) => Number.isInteger(config.amount) || fixedMs[config.unit] !== undefined, {
      message: 'whole numbers only for days, weeks, months and years',
      path: ['amount'],
    }),
  run: (ctx, input) => {
    const { operation, timeZone: zone, format, amount, unit } = ctx.config;
    const instant =
      ctx.config.value === undefined ? Date.now() : parseInstant(ctx.config.value, zone, 'config.value');
    const describe = (at: number): Json => ({
      iso: new Date(at).toISOString(),
      epochMs: at,
      local: formatInstant(at, zone, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
      timeZone: zone,
    });
    switch (operation) {
      case 'parse':
        return withResult(input, ctx.config, describe(instant));
      case 'format':
        return withResult(input, ctx.config, formatInstant(instant, zone, format));
      case 'add':
        return withResult(input, ctx.config, describe(addTo(instant, amount, unit, zone)));
      case 'compare': {
        const other =
          ctx.config.other === undefined ? Date.now() : parseInstant(ctx.config.other, zone, 'config.other');
        const diffMs = instant - other;
        return withResult(input, ctx.config, {
          before: diffMs < 0,
          after: diffMs > 0,
          equal: diffMs === 0,
          diffMs,
          diffDays: diffMs / 86_400_000,
        });
      }
    }
  },
});
