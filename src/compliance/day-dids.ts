/**
 * The DIDs with data on a day, for validation: the built-in query returns exactly one row per DID
 * with a daily_compliance row on :day (its header says so), so listing them does not need its
 * study-to-date aggregate, which is most of its cost (a 100,000-participant study: about 0.4 s
 * instead of several seconds). A custom query (COMPLIANCE_QUERY_PATH) may filter, so it is always
 * run as written. test/unit/compliance/day-dids.test.ts pins the equivalence.
 */
import type Database from 'better-sqlite3';

export function builtInDayDids(db: Database.Database, day: string): Iterable<string> {
  // (did, day) is the primary key: one row per DID and day, no DISTINCT needed.
  return db
    .prepare('SELECT did FROM daily_compliance WHERE day = :day')
    .pluck(true)
    .iterate({ day }) as Iterable<string>;
}
