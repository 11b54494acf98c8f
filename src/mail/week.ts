/**
 * "This week at a glance": the 7 days up to the report date, surveys done of due on each, as a
 * row in the text part and as a small table in the HTML part. The table uses only inline styles
 * and plain table markup (Outlook's Word engine and Gmail both honour these), no images and no
 * external resources; its caption and column headers make it readable with a screen reader.
 */
import { addDays } from '../util/dates.js';

export interface WeekDay {
  day: string;
  /** Undefined: no compliance row for that day. */
  done?: number;
  due?: number;
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const longWeekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The 7 days ending on reportDate, filled from [[day, done, due], ...] (other days: no data). */
export function weekOf(reportDate: string, entries: readonly (readonly [string, number, number])[]): WeekDay[] {
  const byDay = new Map(entries.map(([day, done, due]) => [day, { done, due }]));
  return windowOf(reportDate).map((day) => ({ day, ...byDay.get(day) }));
}

// Every participant of a run has the same 7 days: computed once per report date.
let window: { reportDate: string; days: string[] } | undefined;

function windowOf(reportDate: string): string[] {
  if (window?.reportDate !== reportDate) {
    window = { reportDate, days: Array.from({ length: 7 }, (_, i) => addDays(reportDate, i - 6)) };
  }
  return window.days;
}

function weekdayOf(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

/** What a day's cell says: "3 of 4", "none due", or "no data". */
function cell(d: WeekDay): string {
  if (d.done === undefined || d.due === undefined) return 'no data';
  return d.due === 0 ? 'none due' : `${d.done} of ${d.due}`;
}

const COLUMN = 10;

/** Two aligned lines (weekday names over counts) under a heading. */
export function weekText(days: readonly WeekDay[]): string {
  const names = days.map((d) => `${weekdays[weekdayOf(d.day)]} ${Number(d.day.slice(8))}`.padEnd(COLUMN)).join('');
  const counts = days.map((d) => cell(d).padEnd(COLUMN)).join('');
  return `  ${names.trimEnd()}\n  ${counts.trimEnd()}`;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The table; every value in it is ours (dates and numbers), escaped all the same. */
const th = 'padding:4px 2px;font-size:12px;font-weight:normal;color:#555;text-align:center;';
const td = 'padding:4px 2px;font-size:13px;text-align:center;border-top:1px solid #ddd;';
const heads = new Map<string, string>();

/** The header row depends only on the dates: built once per week, not per participant. */
function headRow(days: readonly WeekDay[]): string {
  const key = days.map((d) => d.day).join(',');
  let head = heads.get(key);
  if (head === undefined) {
    head = days
      .map((d) => {
        const w = weekdayOf(d.day);
        const label = `${longWeekdays[w]} ${Number(d.day.slice(8))}`;
        return `<th scope="col" abbr="${escapeHtml(label)}" style="${th}">${weekdays[w]}<br>${Number(d.day.slice(8))}</th>`;
      })
      .join('');
    if (heads.size > 100) heads.clear();
    heads.set(key, head);
  }
  return head;
}

export function weekHtml(days: readonly WeekDay[]): string {
  const head = headRow(days);
  const row = days
    .map((d) => {
      const full = d.due !== undefined && d.due > 0 && d.done === d.due;
      return `<td style="${td}${full ? 'font-weight:bold;' : 'color:#444;'}">${escapeHtml(cell(d))}</td>`;
    })
    .join('');
  return [
    '<table role="table" cellpadding="0" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;width:100%;max-width:480px;table-layout:fixed;">',
    '<caption style="text-align:left;font-size:13px;color:#444;padding:0 0 4px 0;">Surveys completed of surveys due, each of the last 7 days</caption>',
    `<tr>${head}</tr>`,
    `<tr>${row}</tr>`,
    '</table>',
  ].join('\n');
}
