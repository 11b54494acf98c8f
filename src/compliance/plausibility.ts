/**
 * Values the built-in query's columns can never hold. A participant with one of these is blocked
 * (finding `impossible_data`) rather than told a wrong number. The values quoted come from the
 * compliance DB (numbers and dates), never from the roster, so the message may go to Slack.
 */
import type { ComplianceRow } from './db.js';

export interface Implausible {
  field: string;
  message: string;
}

const MINUTES_A_DAY = 1440;

/** A column's number; undefined when absent or NULL; NaN when it is not a number at all. */
export function numberOf(row: ComplianceRow, field: string): number | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'number' ? value : Number.NaN;
}

type Week = [string, number, number][];

/**
 * A stored timestamp as a Date; SQLite's own "YYYY-MM-DD HH:MM:SS" carries no zone and means
 * UTC (JavaScript would read it as the server's local time). Invalid Date when unparsable.
 */
export function parseTimestamp(value: unknown): Date {
  const text = String(value).trim();
  const zoneless = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
  return new Date(zoneless ? `${text.replace(' ', 'T')}Z` : text);
}

/** week_json as [[day, done, due], ...], or undefined when it is not that shape. */
export function parseWeek(value: unknown): Week | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return undefined;
    const ok = parsed.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 3 &&
        typeof e[0] === 'string' &&
        Number.isFinite(e[1]) &&
        Number.isFinite(e[2]),
    );
    return ok ? (parsed as Week) : undefined;
  } catch {
    return undefined;
  }
}

function count(row: ComplianceRow, field: string): Implausible | undefined {
  const n = numberOf(row, field);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 0)
    return { field, message: `${field} is ${String(row[field])}, not a count (0 or more)` };
  return undefined;
}

function doneOfDue(row: ComplianceRow, done: string, due: string): Implausible | undefined {
  const a = numberOf(row, done);
  const b = numberOf(row, due);
  if (a !== undefined && b !== undefined && a > b)
    return { field: done, message: `${done} (${a}) is more than ${due} (${b})` };
  return undefined;
}

function minutes(row: ComplianceRow, field: string): Implausible | undefined {
  const n = numberOf(row, field);
  if (n === undefined) return undefined;
  // Only numbers are quoted: a text value could be anything, and the message may go to Slack.
  if (Number.isNaN(n)) return { field, message: `${field} is not a number` };
  if (n < 0 || n > MINUTES_A_DAY)
    return { field, message: `${field} is ${n}, outside 0–${MINUTES_A_DAY} minutes a day` };
  return undefined;
}

/** The first impossible value in a row of the built-in query's shape, or undefined. */
export function findImplausible(row: ComplianceRow): Implausible | undefined {
  for (const field of [
    'surveys_completed',
    'surveys_expected',
    'std_surveys_completed',
    'std_surveys_expected',
    'std_days',
    'std_wear_days',
  ]) {
    const problem = count(row, field);
    if (problem) return problem;
  }
  const problem =
    doneOfDue(row, 'surveys_completed', 'surveys_expected') ??
    doneOfDue(row, 'std_surveys_completed', 'std_surveys_expected') ??
    doneOfDue(row, 'std_wear_days', 'std_days') ??
    minutes(row, 'wear_minutes') ??
    minutes(row, 'std_avg_wear_minutes');
  if (problem) return problem;
  const sync = row.last_sync_at;
  if (sync !== undefined && sync !== null && Number.isNaN(parseTimestamp(sync).getTime()))
    return { field: 'last_sync_at', message: 'last_sync_at is not a date and time' };
  if (row.week_json !== undefined && row.week_json !== null) {
    const week = parseWeek(row.week_json);
    if (week === undefined)
      return { field: 'week_json', message: 'week_json is not a list of [day, completed, expected]' };
    for (const [day, done, due] of week) {
      if (done < 0 || due < 0 || done > due)
        return { field: 'week_json', message: `on ${day.slice(0, 10)}, ${done} surveys completed of ${due} expected` };
    }
  }
  return undefined;
}
