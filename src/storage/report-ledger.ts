/**
 * The ledger as the report reads it: every message row of a date range, in id order (a rowid
 * table's own order: no sort), so a later run's row for a participant comes after an earlier
 * one's. Which row is final is decided by the caller (src/report/aggregate.ts): a 560,000-row
 * range is read in one plain scan, which a window function's sort would make several times slower.
 *
 * Rows are fetched a page at a time by id (the rowid range resumes where the last page ended):
 * better-sqlite3's `all()` costs about a third less a row than its iterator, and a page keeps
 * memory bounded where one `all()` of the whole range would hold every row at once.
 */
import type { StateDb } from './state-db.js';

/** [report_date, did, state, reason, completion code of the compliance query's row (or null), id]. */
export type LedgerRow = [string, string, string, string | null, number | null, number];

const PAGE_ROWS = 10_000;

export function* messagesInRange(db: StateDb, from: string, to: string, pageRows = PAGE_ROWS): Generator<LedgerRow> {
  const page = db
    .prepare(
      `SELECT report_date, did, state, reason, completion, id FROM messages
       WHERE id > ? AND report_date BETWEEN ? AND ? ORDER BY id LIMIT ?`,
    )
    .raw(true);
  let after = 0;
  for (;;) {
    const rows = page.all(after, from, to, pageRows) as LedgerRow[];
    for (let i = 0; i < rows.length; i++) yield rows[i]!;
    if (rows.length < pageRows) return;
    after = rows[rows.length - 1]![5];
  }
}
