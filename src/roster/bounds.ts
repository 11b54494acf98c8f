/**
 * Size limits on roster values. A participant's name, address or template field is short; a
 * value far longer is a paste error or hostile, and it would be carried into every message
 * rendered for that row (a 5 MB first name runs the renderer out of memory). Such a value is
 * dropped and its row blocked with a finding that names the row, the column and the size, never
 * the value.
 */
import type { Finding } from '../finding.js';

/** The longest value any roster cell may hold (names, e-mail, DID, template fields). */
export const MAX_CELL_CHARS = 1000;
/** The longest a whole row may be (all its values together). */
export const MAX_ROW_CHARS = 32 * 1024;
/**
 * Past this, csv-parse stops on the record and the whole file is refused, naming the line: a
 * single 32 MB row is not a roster any more. Rows between MAX_ROW_CHARS and this are blocked.
 */
export const MAX_RECORD_CHARS = 32 * 1024 * 1024;

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Checks one record (already trimmed): an oversized value is replaced by '' in place, so that
 * nothing downstream holds or echoes it. Returns the findings (row scope, errors).
 */
const NONE: readonly Finding[] = Object.freeze([]);

export function boundRecord(columns: readonly string[], record: string[], row: number): readonly Finding[] {
  let longest = 0;
  let total = 0;
  for (const value of record) {
    total += value.length;
    if (value.length > longest) longest = value.length;
  }
  // The common case, every row of a sane roster: nothing to report, nothing allocated.
  if (longest <= MAX_CELL_CHARS && total <= MAX_ROW_CHARS) return NONE;
  const findings: Finding[] = [];
  total = 0;
  const didIndex = columns.indexOf('did');
  const oversized: number[] = [];
  for (let i = 0; i < record.length; i++) if (record[i]!.length > MAX_CELL_CHARS) oversized.push(i);
  const did = (): Partial<Finding> => {
    const value = didIndex === -1 ? '' : (record[didIndex] ?? '');
    return value === '' ? {} : { did: value };
  };
  for (const i of oversized) {
    const column = columns[i] || `column ${i + 1}`;
    const length = record[i]!.length;
    record[i] = '';
    findings.push({
      severity: 'error',
      scope: 'row',
      code: 'cell_too_large',
      row,
      column,
      message: `The value of ${column} on row ${row} is ${count(length)} characters long, more than the ${count(MAX_CELL_CHARS)} a roster value may have; the row is not e-mailed.`,
      fix: `Correct the ${column} value on row ${row} (it was probably pasted by mistake).`,
    });
  }
  for (const value of record) total += value.length;
  if (total > MAX_ROW_CHARS) {
    findings.push({
      severity: 'error',
      scope: 'row',
      code: 'row_too_large',
      row,
      message: `Row ${row} is ${count(total)} characters long, more than the ${count(MAX_ROW_CHARS)} a roster row may have; the row is not e-mailed.`,
      fix: `Shorten the values on row ${row}, or move long notes out of the roster.`,
    });
  }
  // The DID is only added once an oversized DID has been dropped.
  return findings.map((f) => ({ ...f, ...did() }));
}
