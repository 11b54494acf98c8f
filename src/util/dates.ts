/** Calendar arithmetic in the study's time zone, with no dependency beyond Intl. */

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(value: string): boolean {
  if (!isoDate.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

// Building an Intl.DateTimeFormat is slow (tens of µs and some memory); a roster repeats a few zones.
const zoneValidity = new Map<string, boolean>();

export function isValidTimeZone(zone: string): boolean {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    if (zone.trim() === '') return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      valid = true;
    } catch {
      valid = false;
    }
    zoneValidity.set(zone, valid);
  }
  return valid;
}

export interface LocalDateTime {
  date: string; // YYYY-MM-DD
  minutesOfDay: number;
}

export function localDateTime(at: Date, timeZone: string): LocalDateTime {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    minutesOfDay: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The default report date: yesterday, as the study's time zone counts days. */
export function yesterdayIn(timeZone: string, now: Date): string {
  return addDays(localDateTime(now, timeZone).date, -1);
}

/** "Monday 23 November 2026": the report date as participants read it. */
export function longDate(date: string): string {
  let long = longDates.get(date);
  if (long === undefined) {
    long = formatLongDate(date);
    // A run formats the same report date for every participant; a few dates are ever asked for.
    if (longDates.size > 1000) longDates.clear();
    longDates.set(date, long);
  }
  return long;
}

const longDates = new Map<string, string>();

function formatLongDate(date: string): string {
  // Assembled from parts: ICU versions (Node 20 vs 22/24) differ on the comma after the weekday.
  const parts = longDateFormat.formatToParts(new Date(`${date}T00:00:00Z`));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}`;
}

const longDateFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

export function parseClockTime(value: string): number | undefined {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}
