import { z } from 'zod';
import { StepFailure } from '../../engine/errors.js';
import type { Json } from '../../engine/json.js';
import { defineNode } from '../../engine/node.js';
import { outputOptions, withResult } from './output.js';

/**
 * Dates with IANA time zones on the platform's Intl only (no date library): wall-clock parts
 * come from Intl.DateTimeFormat, and the zone's offset at an instant is the difference
 * between those parts read as UTC and the instant itself.
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

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: string;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: number, zone: string): WallClock {
  let format = partsFormatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    partsFormatters.set(zone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: ((instant % 1000) + 1000) % 1000,
    weekday: parts.weekday ?? '',
  };
}

/** The zone's offset from UTC at an instant, in ms (Berlin in winter: +3 600 000). */
function offsetAt(instant: number, zone: string): number {
  const c = wallClock(instant, zone);
  return Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second, c.millisecond) - instant;
}

/** The instant a wall-clock time in a zone denotes (in a DST gap: shifted forward, as most tools do). */
function fromWallClock(c: Omit<WallClock, 'weekday'>, zone: string): number {
  const asUtc = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second, c.millisecond);
  const first = asUtc - offsetAt(asUtc, zone);
  const second = asUtc - offsetAt(first, zone);
  return second;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function formatOffset(offsetMs: number): string {
  const minutes = Math.round(offsetMs / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** Tokens: yyyy MM dd HH mm ss SSS EEE XXX (offset); text in '...' is literal. */
export function formatInstant(instant: number, zone: string, pattern: string): string {
  const c = wallClock(instant, zone);
  const tokens: Record<string, string> = {
    yyyy: pad(c.year, 4),
    MM: pad(c.month),
    dd: pad(c.day),
    HH: pad(c.hour),
    mm: pad(c.minute),
    ss: pad(c.second),
    SSS: pad(c.millisecond, 3),
    EEE: c.weekday,
    XXX: formatOffset(offsetAt(instant, zone)),
  };
  return pattern.replace(
    /'([^']*)'|yyyy|SSS|EEE|XXX|MM|dd|HH|mm|ss/g,
    (match, literal: string | undefined) => literal ?? tokens[match] ?? match,
  );
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
    return fromWallClock(
      {
        year: +y!,
        month: +mo!,
        day: +d!,
        hour: +h,
        minute: +mi,
        second: +s,
        millisecond: +ms.padEnd(3, '0'),
      },
      zone,
    );
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new StepFailure(`${field}: "${text.slice(0, 100)}" is not a date`, 'invalid_input', field);
  return parsed;
}

const units = ['milliseconds', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
const fixedMs: Record<string, number> = { milliseconds: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000 };

/** Add in the zone's calendar: `1 day` across a DST change is the same wall-clock time tomorrow. */
function addTo(instant: number, amount: number, unit: (typeof units)[number], zone: string): number {
  const fixed = fixedMs[unit];
  if (fixed !== undefined) return instant + amount * fixed;
  const c = wallClock(instant, zone);
  if (unit === 'days' || unit === 'weeks') c.day += amount * (unit === 'weeks' ? 7 : 1);
  else {
    const months = c.month - 1 + amount * (unit === 'years' ? 12 : 1);
    const year = c.year + Math.floor(months / 12);
    const month = (((months % 12) + 12) % 12) + 1;
    // Jan 31 + 1 month = Feb 28/29: clamp to the month's last day.
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    Object.assign(c, { year, month, day: Math.min(c.day, lastDay) });
  }
  return fromWallClock(c, zone);
}

export const dateTimeNode = defineNode({
  type: 'data.dateTime',
  family: 'data',
  title: 'Date & time',
  description: 'Parses, formats, shifts and compares dates in an IANA time zone.',
  docs:
    'Dates are ISO 8601 text or epoch milliseconds; text without an offset is read in `timeZone`. ' +
    '`format` patterns use yyyy MM dd HH mm ss SSS EEE XXX, with literal text in single quotes. ' +
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
