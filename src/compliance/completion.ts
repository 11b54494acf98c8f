/**
 * Survey completion per participant and day, for the report: read from the compliance
 * pipeline's daily_compliance table (the report counts, it does not use COMPLIANCE_QUERY_PATH).
 */
import { UsageError } from '../errors.js';
import type { ComplianceDb } from './db.js';

/** Of the surveys expected that day: all done, some, or none. */
export type Completion = 'all' | 'some' | 'none';

/**
 * Each day from `from` to `to` that has rows, in order, with DID → completion that day. One
 * pass over the table (its key is (did, day), so a query per day would scan it once a day);
 * only one day's map is held at a time.
 */
export function* completionByDay(
  db: ComplianceDb,
  from: string,
  to: string,
): Generator<{ day: string; byDid: Map<string, Completion> }> {
  let rows: IterableIterator<[string, string, number | null, number | null]>;
  try {
    rows = db
      .prepare(
        'SELECT day, did, surveys_completed, surveys_expected FROM daily_compliance WHERE day BETWEEN ? AND ? ORDER BY day',
      )
      .raw(true)
      .iterate(from, to) as IterableIterator<[string, string, number | null, number | null]>;
  } catch (error) {
    throw new UsageError(
      `The report reads surveys_completed and surveys_expected from the daily_compliance table of COMPLIANCE_DB_PATH, and that failed: ${(error as Error).message}. ` +
        "Point COMPLIANCE_DB_PATH at the compliance pipeline's database.",
      'compliance_report_query',
    );
  }
  let day: string | undefined;
  let byDid = new Map<string, Completion>();
  for (const [rowDay, did, completed, expected] of rows) {
    if (rowDay !== day) {
      if (day !== undefined) yield { day, byDid };
      day = rowDay;
      byDid = new Map();
    }
    const done = completed ?? 0;
    byDid.set(String(did), done >= (expected ?? 0) ? 'all' : done > 0 ? 'some' : 'none');
  }
  if (day !== undefined) yield { day, byDid };
}

/** The DIDs among `dids` with at least one row in daily_compliance (any day). */
export function didsWithAnyData(db: ComplianceDb, dids: readonly string[]): Set<string> {
  const has = db.prepare('SELECT 1 FROM daily_compliance WHERE did = ? LIMIT 1').pluck(true);
  return new Set(dids.filter((did) => has.get(did) !== undefined));
}
