/**
 * One participant's template view: their roster fields and compliance row, plus display strings
 * computed here rather than in mustache, so that every edge (no data, nothing due, one day, the
 * participant's own time zone) is a tested TypeScript branch and never a blank or "0 of 0".
 */
import type { ComplianceRow } from '../compliance/db.js';
import { findImplausible, type Implausible, numberOf, parseTimestamp, parseWeek } from '../compliance/plausibility.js';
import { isValidTimeZone, longDate } from '../util/dates.js';
import { weekHtml, weekOf, weekText } from './week.js';
import { duration, encouragement, localTime, percent, plural } from './wording.js';

export interface StudySettings {
  reportDate: string;
  /** The zone for participants whose roster `timezone` is empty (STUDY_TZ). */
  studyTz: string;
  studyName?: string | undefined;
  studyContact?: string | undefined;
}

/** Derived fields and the query columns each needs; a field is offered only when they exist. */
export const DERIVED_FIELDS: Record<string, readonly string[]> = {
  greeting: [],
  study_title: [],
  study_ref: [],
  contact_line: [],
  unsubscribe: [],
  surveys_summary: ['surveys_completed', 'surveys_expected'],
  surveys_line: ['surveys_completed', 'surveys_expected'],
  encouragement: ['surveys_completed', 'surveys_expected'],
  wear_time: ['wear_minutes'],
  last_sync: ['last_sync_at'],
  std_days_label: ['std_days'],
  std_surveys_line: ['std_surveys_completed', 'std_surveys_expected'],
  std_percent: ['std_surveys_completed', 'std_surveys_expected'],
  std_avg_wear_time: ['std_avg_wear_minutes', 'std_wear_days', 'std_days'],
  week_text: ['week_json'],
  week_html: ['week_json'],
};

/** The derived fields a query with these columns provides. */
export function derivedFieldsFor(columns: readonly string[]): string[] {
  const have = new Set(columns);
  return Object.entries(DERIVED_FIELDS)
    .filter(([, needs]) => needs.every((c) => have.has(c)))
    .map(([name]) => name);
}

export type ViewResult = { view: Record<string, unknown> } | { implausible: Implausible };

function studyFields(s: StudySettings, firstName: string): Record<string, string> {
  const contact = s.studyContact?.trim();
  const name = s.studyName?.trim();
  return {
    greeting: firstName.trim() === '' ? 'Hello,' : `Hello ${firstName.trim()},`,
    study_title: name ? name : 'study',
    study_ref: name ? name : 'the study',
    contact_line: contact
      ? `Questions? Reply to this e-mail or contact the study team at ${contact}.`
      : 'Questions? Reply to this e-mail and the study team will get back to you.',
    unsubscribe: contact
      ? `To stop these daily e-mails, reply with the word "unsubscribe" or contact the study team at ${contact}.`
      : 'To stop these daily e-mails, reply to this e-mail with the word "unsubscribe".',
  };
}

function surveyFields(row: ComplianceRow, out: Record<string, unknown>): void {
  const done = numberOf(row, 'surveys_completed');
  const due = numberOf(row, 'surveys_expected');
  if (done !== undefined && due !== undefined) {
    out.surveys_summary = due === 0 ? 'no surveys were due' : `${done} of ${plural(due, 'survey')}`;
    out.surveys_line = due === 0 ? 'none were due' : `${done} of ${due}`;
    out.encouragement = encouragement(done, due);
  }
  const stdDone = numberOf(row, 'std_surveys_completed');
  const stdDue = numberOf(row, 'std_surveys_expected');
  if (stdDone !== undefined && stdDue !== undefined) {
    out.std_percent = percent(stdDone, stdDue);
    out.std_surveys_line =
      stdDue === 0 ? 'none were due yet' : `${stdDone} of ${stdDue} (${percent(stdDone, stdDue)}%)`;
  }
  const days = numberOf(row, 'std_days');
  if (days !== undefined) out.std_days_label = plural(days, 'day');
}

function wearFields(row: ComplianceRow, out: Record<string, unknown>): void {
  if ('wear_minutes' in row) {
    const wear = numberOf(row, 'wear_minutes');
    out.wear_time = wear === undefined ? 'no wear recorded' : duration(wear);
  }
  if ('std_avg_wear_minutes' in row && 'std_wear_days' in row && 'std_days' in row) {
    const avg = numberOf(row, 'std_avg_wear_minutes');
    const wearDays = numberOf(row, 'std_wear_days') ?? 0;
    const days = numberOf(row, 'std_days') ?? 0;
    // The average is over the days with data; saying so keeps "a day" from overstating it.
    if (avg === undefined || wearDays === 0) out.std_avg_wear_time = 'no wear recorded yet';
    else if (wearDays < days)
      out.std_avg_wear_time = `${duration(avg)} a day on the ${plural(wearDays, 'day')} with wear data`;
    else out.std_avg_wear_time = `${duration(avg)} a day`;
  }
}

export function buildView(
  settings: StudySettings,
  fields: Readonly<Record<string, string>>,
  row: ComplianceRow,
): ViewResult {
  const implausible = findImplausible(row);
  if (implausible) return { implausible };
  const zone = fields.timezone !== undefined && isValidTimeZone(fields.timezone) ? fields.timezone : settings.studyTz;
  const view: Record<string, unknown> = {
    ...fields,
    ...row,
    did: row.did,
    report_date: settings.reportDate,
    report_date_long: longDate(settings.reportDate),
    ...studyFields(settings, fields.first_name ?? ''),
  };
  surveyFields(row, view);
  wearFields(row, view);
  if ('last_sync_at' in row) {
    const at = row.last_sync_at;
    view.last_sync = at === null || at === undefined ? 'no sync recorded' : localTime(parseTimestamp(at), zone);
  }
  const week = parseWeek(row.week_json);
  if (week !== undefined) {
    const days = weekOf(settings.reportDate, week);
    view.week_text = weekText(days);
    view.week_html = weekHtml(days);
  }
  return { view };
}
