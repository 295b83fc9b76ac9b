import * as chrono from 'chrono-node';

/**
 * Due dates relative to the call's start, as calendar days in UTC. chrono-node reads the
 * everyday phrases; the business ones it does not know ("end of month", "EOW", "next week")
 * follow fixed conventions (bench/data/calls/README.md) so a person can predict them.
 */

const DAY = 86_400_000;

function utcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function addDays(date: Date, days: number): Date {
  return new Date(utcDay(date).getTime() + days * DAY);
}

/** The coming `weekday` (0 = Sunday) strictly after `from`'s day, or that day when `includeToday`. */
function nextWeekday(from: Date, weekday: number, includeToday = false): Date {
  const today = utcDay(from).getUTCDay();
  let delta = (weekday - today + 7) % 7;
  if (delta === 0 && !includeToday) delta = 7;
  return addDays(from, delta);
}

const rules: Array<{ pattern: RegExp; due: (start: Date, match: RegExpExecArray) => Date }> = [
  {
    pattern: /\b(?:end of (?:the )?day|eod|by tonight|tonight|this (?:afternoon|morning|evening))\b/i,
    due: (s) => utcDay(s),
  },
  {
    pattern: /\b(?:end of (?:the |this )?week|eow|this week)\b/i,
    due: (s) => nextWeekday(s, 5, true),
  },
  { pattern: /\b(?:end of next week)\b/i, due: (s) => addDays(nextWeekday(s, 5, true), 7) },
  {
    pattern: /\b(?:end of (?:the |this )?month|eom|this month)\b/i,
    due: (s) => new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 0)),
  },
  {
    pattern: /\b(?:end of next month|next month)\b/i,
    due: (s) => new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 2, 0)),
  },
  {
    pattern: /\b(?:end of (?:the |this )?quarter|eoq|this quarter)\b/i,
    due: (s) => new Date(Date.UTC(s.getUTCFullYear(), Math.floor(s.getUTCMonth() / 3) * 3 + 3, 0)),
  },
  // "next week" (no weekday): the Monday it starts.
  {
    pattern: /\b(?:next week|early next week)\b(?!\s*(?:on\s+)?(?:mon|tue|wed|thu|fri|sat|sun))/i,
    due: (s) => nextWeekday(s, 1),
  },
  {
    pattern: /\bnext (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i,
    // "next Tuesday": the Tuesday of next week (Monday-based weeks).
    due: (s, m) => {
      const weekday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].indexOf(
        m[1]!.toLowerCase(),
      );
      const monday = nextWeekday(s, 1);
      return addDays(monday, (weekday + 6) % 7);
    },
  },
  {
    // "by the 15th": that day of this month, or of the next when it has passed.
    pattern: /\b(?:by|on|before|until) the (\d{1,2})(?:st|nd|rd|th)\b/i,
    due: (s, m) => {
      const day = Number(m[1]);
      const thisMonth = new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth(), day));
      return thisMonth.getTime() >= utcDay(s).getTime()
        ? thisMonth
        : new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, day));
    },
  },
  // "by 5pm": today.
  { pattern: /\bby \d{1,2}(?::\d{2})?\s*(?:am|pm)\b(?!\s+(?:on|tomorrow|next))/i, due: (s) => utcDay(s) },
];

// "asap", "now": the call's day, unless the sentence names a day too ("Now, I'll send it Friday").
const SAME_DAY =
  /\b(?:asap|as soon as possible|right away|immediately|right now|now(?! on\b))\b(?<!from now)(?<!for now)(?<!until now)(?<!by now)/i;

/** Phrases chrono turns into dates that are no deadline ("a minute", "once", "now"). */
const notDeadlines = /^(?:now|today's|a (?:second|minute|moment)|once|one|an? hour|the (?:first|second))$/i;

/** The due day an item's sentence names, as YYYY-MM-DD, with the words it came from. */
export function dueDateOf(sentence: string, callStart: Date): { date: string; text: string } | undefined {
  for (const rule of rules) {
    const match = rule.pattern.exec(sentence);
    if (match) return { date: rule.due(callStart, match).toISOString().slice(0, 10), text: match[0] };
  }
  // chrono reads the call's clock as UTC: a reference instant at midday keeps the day stable.
  const reference = { instant: callStart, timezone: 0 };
  const results = chrono.parse(sentence, reference, { forwardDate: true });
  for (const result of results) {
    if (notDeadlines.test(result.text.trim())) continue;
    // "at 3": a time of day only, no day named.
    const start = result.start;
    if (!start.isCertain('day') && !start.isCertain('weekday') && !start.isCertain('month')) continue;
    const date = result.start.date();
    if (date.getTime() < utcDay(callStart).getTime()) continue;
    return { date: date.toISOString().slice(0, 10), text: result.text };
  }
  const now = SAME_DAY.exec(sentence);
  return now ? { date: utcDay(callStart).toISOString().slice(0, 10), text: now[0] } : undefined;
}
