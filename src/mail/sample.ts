/**
 * The preview in Slack's approval request: the run's templates rendered for a synthetic
 * participant, so the team sees the real wording without any real participant's name, address
 * or data leaving the machine.
 */
import { longDate } from '../util/dates.js';
import { referencedFields, renderTemplates, type Templates } from './templates.js';

/** Plausible values for the built-in query's fields; any other field shows as ‹name›. */
const SAMPLE_VALUES: Record<string, string | number> = {
  did: 'SAMPLE-0001',
  first_name: 'Sam',
  last_name: 'Sample',
  status: 'active',
  timezone: 'UTC',
  surveys_completed: 3,
  surveys_expected: 4,
  wear_minutes: 812,
  wear_time: '13 h 32 min',
  last_sync: '2026-01-01 07:45 UTC',
  std_surveys_completed: 38,
  std_surveys_expected: 44,
  std_percent: 86,
  std_days: 11,
  std_avg_wear_time: '12 h 58 min',
  encouragement: "You completed most of yesterday's surveys. Every one you complete helps us.",
};

export interface SamplePreview {
  subject: string;
  text: string;
}

export function renderSample(templates: Templates, reportDate: string): SamplePreview {
  const view: Record<string, unknown> = {
    ...SAMPLE_VALUES,
    report_date: reportDate,
    report_date_long: longDate(reportDate),
  };
  for (const part of [templates.subject, templates.text]) {
    try {
      for (const field of referencedFields(part)) if (!(field in view)) view[field] = `‹${field}›`;
    } catch {
      // A template that does not parse is a validation error of its own; the preview says so.
      return { subject: '(template does not parse)', text: '(template does not parse; see the validation findings)' };
    }
  }
  const { subject, text } = renderTemplates(templates, view);
  return { subject, text };
}
