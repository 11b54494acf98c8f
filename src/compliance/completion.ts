/**
 * Survey completion per participant and day, for the report and the onboarding check: read from
 * the compliance pipeline's daily_compliance table (not COMPLIANCE_QUERY_PATH: these count).
 */
import { UsageError } from '../errors.js';
import type { ComplianceDb } from './db.js';

/** Of the surveys expected that day: all done, some, or none (in that order, as 0, 1, 2). */
export const COMPLETIONS = ['all', 'some', 'none'] as const;
export type Completion = (typeof COMPLETIONS)[number];

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
