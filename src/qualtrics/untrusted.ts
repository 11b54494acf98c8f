/**
 * Checks on values typed by participants into the enrolment survey, before they are written to
 * the roster: a value a spreadsheet would run as a formula (=, +, -, @, tab or CR first) is
 * refused, as is one over the roster's cell limit. Reasons name the column, never the value.
 */
import { MAX_CELL_CHARS } from '../roster/bounds.js';

/** What spreadsheet programs treat as the start of a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * Not formulas, whatever their sign: a plain number (e.g. "-3", "+44 20 7946 0958") and a lone
 * "-" (the usual "none").
 */
const HARMLESS = /^(?:-|[+-]?[\d\s().,/-]*\d)$/;

export function formulaLike(value: string): boolean {
  return FORMULA_START.test(value) && !HARMLESS.test(value);
}

/** Why these imported values must not reach the roster: the column and a "code: message" reason. */
export function untrustedValueReasons(values: Record<string, string>): { column: string; reason: string }[] {
  const reasons: { column: string; reason: string }[] = [];
  for (const [column, value] of Object.entries(values)) {
    if (value.length > MAX_CELL_CHARS)
      reasons.push({
        column,
        reason: `cell_too_large: The value of ${column} is ${value.length.toLocaleString('en-US')} characters long, more than the ${MAX_CELL_CHARS.toLocaleString('en-US')} a roster value may have. Correct the response in Qualtrics.`,
      });
    else if (formulaLike(value))
      reasons.push({
        column,
        reason: `formula_like: The value of ${column} starts with ${JSON.stringify(value[0])}, which a spreadsheet would run as a formula; it was not imported. Correct the response in Qualtrics (or add the participant to the roster by hand).`,
      });
  }
  return reasons;
}
