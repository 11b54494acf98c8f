/**
 * Survey completion per participant and day, for the report and the onboarding check. The source
 * is the same as the e-mails': the configured compliance query's row, recorded in the ledger as a
 * code when the message is planned (completionCode, messages.completion). Running the query
 * again per day is not an option: the built-in one costs about a second a day for a
 * 10,000-participant study (its study-to-date aggregate), over a minute for 8 weeks. The
 * daily_compliance table is read directly only where the ledger has no code (runs planned before
 * it was recorded, a query without the survey columns): for the built-in query that is the same
 * thing (one row per daily_compliance row, its survey columns as they are; test/unit/compliance
 * pins it), for a custom one the caller says so (commands/report.ts).
 */
import { UsageError } from '../errors.js';
import type { ComplianceDb, ComplianceRow } from './db.js';

/** Of the surveys expected that day: all done, some, or none (in that order, as 0, 1, 2). */
export const COMPLETIONS = ['all', 'some', 'none'] as const;
export type Completion = (typeof COMPLETIONS)[number];

/** The code of a query row without surveys_completed and surveys_expected: it has data, completion unknown. */
export const NO_SURVEY_COLUMNS = 3;

const numberOrNull = (v: unknown): number | null =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;

/**
 * A compliance query row as an index into COMPLETIONS, by the same rule as the SQL below (a
 * NULL compares as false), or NO_SURVEY_COLUMNS when the query does not return both columns.
 */
export function completionCode(row: ComplianceRow): number {
  if (!('surveys_completed' in row) || !('surveys_expected' in row)) return NO_SURVEY_COLUMNS;
  const done = numberOrNull(row.surveys_completed);
  const expected = numberOrNull(row.surveys_expected);
  if (done !== null && expected !== null && done >= expected) return 0;
  return done !== null && done > 0 ? 1 : 2;
}

/** [day, did, index into COMPLETIONS] for every row from `from` to `to`, in the table's order. */
export function completionRows(db: ComplianceDb, from: string, to: string): IterableIterator<[string, string, number]> {
  try {
    return db
      .prepare(
        `SELECT day, did,
                CASE WHEN surveys_completed >= surveys_expected THEN 0 WHEN surveys_completed > 0 THEN 1 ELSE 2 END
         FROM daily_compliance WHERE day BETWEEN ? AND ?`,
      )
      .raw(true)
      .iterate(from, to) as IterableIterator<[string, string, number]>;
  } catch (error) {
    throw new UsageError(
      `The report reads surveys_completed and surveys_expected from the daily_compliance table of COMPLIANCE_DB_PATH, and that failed: ${(error as Error).message}. ` +
        "Point COMPLIANCE_DB_PATH at the compliance pipeline's database.",
      'compliance_report_query',
    );
  }
}

/** The DIDs among `dids` with at least one row in daily_compliance (any day). */
export function didsWithAnyData(db: ComplianceDb, dids: readonly string[]): Set<string> {
  const has = db.prepare('SELECT 1 FROM daily_compliance WHERE did = ? LIMIT 1').pluck(true);
  return new Set(dids.filter((did) => has.get(did) !== undefined));
}
