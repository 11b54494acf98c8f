/**
 * The ledger as the report reads it: every message row of a date range, in id order (a rowid
 * table's own order: no sort), so a later run's row for a participant comes after an earlier
 * one's. Which row is final is decided by the caller (src/report/aggregate.ts): a 560,000-row
 * range is read in one plain scan, which a window function's sort would make several times slower.
 */
import type { StateDb } from './state-db.js';

/** [report_date, did, state, reason, completion code of the compliance query's row (or null)]. */
export type LedgerRow = [string, string, string, string | null, number | null];

export function messagesInRange(db: StateDb, from: string, to: string): IterableIterator<LedgerRow> {
  return db
    .prepare(
      'SELECT report_date, did, state, reason, completion FROM messages WHERE report_date BETWEEN ? AND ? ORDER BY id',
    )
    .raw(true)
    .iterate(from, to) as IterableIterator<LedgerRow>;
}
