/**
 * Display strings for the participant's e-mail: counts, durations, times in their own zone.
 * Each function returns a complete phrase, so a template never glues units onto a blank.
 */

/** "1 day", "2 days". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** 377 → "6 h 17 min"; under an hour "45 min". */
export function duration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : `${h} h ${String(m).padStart(2, '0')} min`;
}

/**
 * Whole percent that never claims more than is true: 199 of 200 is 99%, not 100%, and 1 of 300
 * is 1%, not 0%.
 */
export function percent(done: number, of: number): number {
  if (of <= 0) return 0;
  const rounded = Math.round((100 * done) / of);
  if (done < of) return Math.max(done > 0 ? 1 : 0, Math.min(99, rounded));
  return 100;
}

/** The sentence under yesterday's numbers. */
export function encouragement(done: number, due: number): string {
  if (due === 0) return 'No surveys were due yesterday. Thank you for staying with the study.';
  if (done >= due) return 'You completed every survey yesterday. Thank you, that makes a real difference to the study.';
  if (done * 2 > due) return "You completed most of yesterday's surveys. Every one you complete helps us.";
  if (done * 2 === due) return "You completed half of yesterday's surveys. Every one you complete helps us.";
  if (done === 0)
    return 'Yesterday was a light day for surveys. Today is a fresh start, and every survey you complete helps.';
  return "You completed some of yesterday's surveys. Today is a fresh start, and every survey you complete helps.";
}

// Building an Intl.DateTimeFormat costs tens of µs; the dry run formats 100,000 times with a few zones.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, {
      timeZone,
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formats.set(key, format);
  }
  return format;
}

function partsOf(locale: string, at: Date, timeZone: string): (type: Intl.DateTimeFormatPartTypes) => string {
  const parts = formatFor(locale, timeZone).formatToParts(at);
  return (type) => parts.find((p) => p.type === type)?.value ?? '';
}

/**
 * "30 Nov, 18:38 EST": a moment in the participant's zone with its abbreviation. ICU knows
 * American abbreviations under en-US (EST, PDT) and European ones under en-GB (BST, CEST);
 * where neither has one, an offset such as "GMT+9".
 */
export function formatLocal(at: Date, timeZone: string): string {
  const part = partsOf('en-GB', at, timeZone);
  const gb = part('timeZoneName');
  // en-GB's name ("GMT-5", "BST") says which abbreviation applies: ask en-US once per pair.
  const key = `${timeZone} ${gb}`;
  let zone = zoneNames.get(key);
  if (zone === undefined) {
    zone = partsOf('en-US', at, timeZone)('timeZoneName');
    if (zone.startsWith('GMT') && !gb.startsWith('GMT')) zone = gb;
    zoneNames.set(key, zone);
  }
  return `${part('day')} ${part('month')}, ${part('hour')}:${part('minute')} ${zone}`;
}

const zoneNames = new Map<string, string>();

/**
 * Every zone's offset is a multiple of 15 minutes and changes only at a quarter hour, so within
 * one UTC quarter hour a zone's date, hour, abbreviation and quarter of the hour are fixed: ICU
 * formats the quarter's first minute once, and the other minutes are added to it. A dry run
 * formats one last-sync time per participant; ICU's formatToParts was a tenth of its time.
 */
const QUARTER_MS = 15 * 60_000;
const quarters = new Map<string, { text: string; minute: number }>();

export function localTime(at: Date, timeZone: string): string {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) return formatLocal(at, timeZone);
  const quarter = Math.floor(ms / QUARTER_MS);
  const key = `${timeZone} ${quarter}`;
  let start = quarters.get(key);
  if (start === undefined) {
    const text = formatLocal(new Date(quarter * QUARTER_MS), timeZone);
    const match = /^(.*:)(\d{2})( .*)$/.exec(text);
    if (match === null) return formatLocal(at, timeZone);
    if (quarters.size >= 20_000) quarters.clear();
    start = { text: `${match[1]}\u0000${match[3]}`, minute: Number(match[2]) };
    quarters.set(key, start);
  }
  const minute = start.minute + Math.floor((ms - quarter * QUARTER_MS) / 60_000);
  return start.text.replace('\u0000', String(minute).padStart(2, '0'));
}
