import { TZDate } from '@date-fns/tz';
import { addBusinessDays, addDays, isWeekend, set } from 'date-fns';

/**
 * Sequence timing (issue 13): "wait N business days in the lead's time zone, inside a sending
 * window". Weekends are skipped in the lead's zone; a time outside the window moves to the next
 * window opening on a business day. Zones come from the IANA database (Europe/Berlin).
 */

export interface SendingWindow {
  /** "09:00" */
  start: string;
  /** "17:00" */
  end: string;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The first moment at or after `at` that is inside the window on a business day, in `zone`. */
export function nextInWindow(at: Date, zone: string, window: SendingWindow): Date {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  let local = new TZDate(at.getTime(), zone);
  for (let guard = 0; guard < 14; guard += 1) {
    const minutes = local.getHours() * 60 + local.getMinutes();
    if (!isWeekend(local) && minutes >= start && minutes < end) return new Date(local.getTime());
    if (!isWeekend(local) && minutes < start) {
      return new Date(
        set(local, {
          hours: Math.floor(start / 60),
          minutes: start % 60,
          seconds: 0,
          milliseconds: 0,
        }).getTime(),
      );
    }
    local = set(addDays(local, 1), {
      hours: Math.floor(start / 60),
      minutes: start % 60,
      seconds: 0,
      milliseconds: 0,
    });
  }
  return new Date(local.getTime());
}

/** `days` business days after `from` in `zone`, moved into the sending window. */
export function businessDaysLater(from: Date, days: number, zone: string, window: SendingWindow): Date {
  const local = new TZDate(from.getTime(), zone);
  const later = addBusinessDays(local, days);
  return nextInWindow(new Date(later.getTime()), zone, window);
}
