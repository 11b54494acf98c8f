/**
 * Findings about one participant's compliance data for the day: a value no real day can have
 * (`impossible_data`), or a printed template field with no value (`template_field_empty`). They
 * block that participant only. Validation finds the day's own impossible values; rendering finds
 * the rest (study-to-date values, empty fields) with the same wording.
 */
import { type Finding, participantFinding } from '../finding.js';

export function dataBlockedFinding(
  row: { row: number; did: string },
  code: 'impossible_data' | 'template_field_empty',
  field: string,
  /** Quotes compliance numbers and field names only, never roster values (it may go to Slack). */
  detail: string,
): Finding {
  return participantFinding(
    row,
    'error',
    code,
    `${detail}; ${row.did} is not e-mailed today, the others are.`,
    code === 'impossible_data'
      ? "Ask the compliance pipeline team to check this participant's data for the day; nobody is told a number that cannot be true."
      : 'Give the field a value for this participant (roster or compliance query), or remove it from the template.',
    field,
  );
}
