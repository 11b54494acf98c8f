/**
 * What the weekly picture is drawn from: counts per day, nothing else. The shape has no field a
 * DID, a name or an address could go in (the one free text is the study's name, from config), so
 * whatever fills it cannot leak a participant into Slack.
 */
import { addDays, isIsoDate } from '../util/dates.js';

/**
 * Each message of the day counted once, by where it ended. They add up to every message the
 * day's run considered.
 */
export const MESSAGE_OUTCOMES = ['sent', 'bounced', 'failed', 'unknown', 'blocked', 'skipped', 'optedOut'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];

/**
 * Each participant of the day counted once. `unreachable` (bounced, suppressed, opted out) and
 * `noData` (active, but no compliance row that day) are kept apart from all/some/none, so "never
 * reached" is not read as "reached but did not complete".
 */
export const COMPLETION_CATEGORIES = ['all', 'some', 'none', 'noData', 'unreachable'] as const;
export type CompletionCategory = (typeof COMPLETION_CATEGORIES)[number];

export type MessageCounts = Readonly<Record<MessageOutcome, number>>;
export type CompletionCounts = Readonly<Record<CompletionCategory, number>>;

export interface ReportDay {
  /** YYYY-MM-DD, the report date (the day the e-mails are about). */
  readonly date: string;
  readonly messages: MessageCounts;
  readonly completion: CompletionCounts;
}

export interface ReportData {
  /** STUDY_NAME, shown in the title. */
  readonly studyName?: string;
  /** First and last day shown, YYYY-MM-DD, inclusive. Days with no entry are drawn as gaps. */
  readonly from: string;
  readonly to: string;
  readonly days: readonly ReportDay[];
}

/** Longer ranges make bars thinner than a pixel at Slack's preview size. */
export const MAX_REPORT_DAYS = 366;

export const zeroMessages = (): Record<MessageOutcome, number> =>
  Object.fromEntries(MESSAGE_OUTCOMES.map((k) => [k, 0])) as Record<MessageOutcome, number>;
export const zeroCompletion = (): Record<CompletionCategory, number> =>
  Object.fromEntries(COMPLETION_CATEGORIES.map((k) => [k, 0])) as Record<CompletionCategory, number>;

/** Every day from `from` to `to`, inclusive. */
export function daysInRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * Checks what the aggregation handed over. A bad shape is a bug in the caller, not user data, so
 * it throws, and says which day and field to fix.
 */
export function assertValidReportData(data: ReportData): void {
  const problems: string[] = [];
  for (const [name, value] of [
    ['from', data.from],
    ['to', data.to],
  ] as const) {
    if (!isIsoDate(value)) problems.push(`${name} is "${value}"; give a YYYY-MM-DD date.`);
  }
  if (problems.length === 0) {
    if (data.from > data.to) problems.push(`from (${data.from}) is after to (${data.to}); swap them.`);
    else if (daysInRange(data.from, data.to).length > MAX_REPORT_DAYS)
      problems.push(`${data.from} to ${data.to} is more than ${MAX_REPORT_DAYS} days; report a shorter range.`);
  }
  const seen = new Set<string>();
  for (const day of data.days) {
    if (!isIsoDate(day.date)) problems.push(`a day's date is "${day.date}"; give a YYYY-MM-DD date.`);
    else if (day.date < data.from || day.date > data.to)
      problems.push(`${day.date} is outside ${data.from}..${data.to}; drop it or widen the range.`);
    if (seen.has(day.date)) problems.push(`${day.date} appears twice; give one entry per day.`);
    seen.add(day.date);
    const counts: [string, Readonly<Record<string, number>>, readonly string[]][] = [
      ['messages', day.messages, MESSAGE_OUTCOMES],
      ['completion', day.completion, COMPLETION_CATEGORIES],
    ];
    for (const [group, values, keys] of counts) {
      for (const key of keys) {
        const n = values[key];
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
          problems.push(`${day.date} ${group}.${key} is ${String(n)}; counts are whole numbers, 0 or more.`);
      }
    }
  }
  if (problems.length > 0) throw new RangeError(`Cannot draw the report:\n  - ${problems.join('\n  - ')}`);
}

export interface ReportTotals {
  messages: Record<MessageOutcome, number>;
  completion: Record<CompletionCategory, number>;
  messageCount: number;
  /** Participant-days: one participant on one day. */
  participantDays: number;
}

export function totalsOf(data: ReportData): ReportTotals {
  const messages = zeroMessages();
  const completion = zeroCompletion();
  for (const day of data.days) {
    for (const k of MESSAGE_OUTCOMES) messages[k] += day.messages[k];
    for (const k of COMPLETION_CATEGORIES) completion[k] += day.completion[k];
  }
  return {
    messages,
    completion,
    messageCount: sum(Object.values(messages)),
    participantDays: sum(Object.values(completion)),
  };
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
