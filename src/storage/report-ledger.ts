/**
 * The ledger as the report reads it: each participant's message of a day once, by where it
 * ended. A day may have several runs (a re-run after a fix, a superseded dry run); the message
 * that may have reached the participant wins, otherwise the newest run's.
 */
import type { StateDb } from './state-db.js';

/** [report_date, did, state, reason], ordered by report_date. */
export type FinalMessage = [string, string, string, string | null];

export function finalMessages(db: StateDb, from: string, to: string): IterableIterator<FinalMessage> {
  return db
    .prepare(
      `SELECT report_date, did, state, reason FROM (
         SELECT report_date, did, state, reason,
                ROW_NUMBER() OVER (
                  PARTITION BY report_date, did
                  ORDER BY CASE WHEN state IN ('sending', 'sent', 'unknown', 'bounced') THEN 0 ELSE 1 END, id DESC
                ) AS pick
         FROM messages
         WHERE report_date BETWEEN ? AND ?
       )
       WHERE pick = 1
       ORDER BY report_date`,
    )
    .raw(true)
    .iterate(from, to) as IterableIterator<FinalMessage>;
}
