/**
 * The preview in Slack's approval request: the run's templates rendered for a synthetic
 * participant, so the team sees the real wording without any real participant's name, address
 * or data leaving the machine.
 */
import type { ComplianceRow } from '../compliance/db.js';
import { referencedFields, renderTemplates, type Templates } from './templates.js';
import { buildView, type StudySettings } from './view-model.js';

/** A synthetic participant: roster fields, then a row of the built-in query. */
const SAMPLE_FIELDS: Record<string, string> = {
  did: 'SAMPLE-0001',
  first_name: 'Sam',
  last_name: 'Sample',
  status: 'active',
  timezone: 'UTC',
};

function sampleRow(reportDate: string): ComplianceRow {
  const day = (back: number): string => {
    const d = new Date(`${reportDate}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - back);
    return d.toISOString().slice(0, 10);
  };
  const week = [4, 3, 4, 2, 2, 4, 3].map((done, i) => [day(6 - i), done, i === 3 || i === 4 ? 2 : 4]);
  return {
    did: 'SAMPLE-0001',
    surveys_completed: 3,
    surveys_expected: 4,
    wear_minutes: 812,
    last_sync_at: `${reportDate}T07:45:00Z`,
    std_surveys_completed: 38,
    std_surveys_expected: 44,
    std_days: 11,
    std_wear_days: 11,
    std_avg_wear_minutes: 778,
    week_json: JSON.stringify(week),
  };
}

export interface SamplePreview {
  subject: string;
  text: string;
}

export function renderSample(
  templates: Templates,
  reportDate: string,
  study: Omit<StudySettings, 'reportDate'> = { studyTz: 'UTC' },
): SamplePreview {
  const built = buildView({ ...study, reportDate }, SAMPLE_FIELDS, sampleRow(reportDate));
  const view: Record<string, unknown> = 'view' in built ? built.view : {};
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
