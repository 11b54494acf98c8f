/**
 * The DIDs with data on a day, for validation: the built-in query returns exactly one row per DID
 * with a daily_compliance row on :day (its header says so), so listing them does not need its
 * study-to-date aggregate, which is most of its cost (a 100,000-participant study: about 0.4 s
 * instead of several seconds). A custom query (COMPLIANCE_QUERY_PATH) may filter, so it is always
 * run as written. test/unit/compliance/day-dids.test.ts pins the equivalence.
 *
 * The same pass flags the day's rows that may hold an impossible value (SQL cannot say why in
 * words); plausibility.ts then checks those few rows and words the finding, so that
 * validate-participants reports the day's impossible data without reading every column of
 * every row into JavaScript.
 */
import type Database from 'better-sqlite3';
import { findImplausible, type Implausible } from './plausibility.js';

/** Deliberately wider than plausibility.ts (a false suspect costs one lookup; a miss, a wrong e-mail). */
const SUSPECT = `(
  typeof(surveys_completed) <> 'integer' OR typeof(surveys_expected) <> 'integer'
  OR surveys_completed < 0 OR surveys_expected < 0 OR surveys_completed > surveys_expected
  OR (wear_minutes IS NOT NULL AND (typeof(wear_minutes) NOT IN ('integer', 'real') OR wear_minutes < 0 OR wear_minutes > 1440))
  OR (last_sync_at IS NOT NULL AND julianday(last_sync_at) IS NULL)
)`;

export function builtInDayDids(db: Database.Database, day: string, suspects?: string[]): Iterable<string> {
  // (did, day) is the primary key: one row per DID and day, no DISTINCT needed.
  if (suspects === undefined)
    return db
      .prepare('SELECT did FROM daily_compliance WHERE day = :day')
      .pluck(true)
      .iterate({ day }) as Iterable<string>;
  // One value a row, all at once (100,000 DIDs are a few MB): better-sqlite3's per-row cost is
  // most of this query's. A suspect row's DID comes back as a blob, which marks it.
  const values = db
    .prepare(`SELECT CASE WHEN ${SUSPECT} THEN CAST(did AS BLOB) ELSE did END FROM daily_compliance WHERE day = :day`)
    .pluck(true)
    .all({ day }) as unknown[];
  return (function* () {
    for (const value of values) {
      if (!Buffer.isBuffer(value)) {
        yield value as string; // as before: a pipeline may store DIDs as integers (or NULL)
        continue;
      }
      // A blob: a suspect's DID (a DID stored as a blob is a suspect too; a false suspect costs one lookup).
      const did = value.toString('utf8');
      suspects.push(did);
      yield did;
    }
  })();
}

/** The day's own values of each suspect DID that are impossible (study-to-date ones are checked when rendering). */
export function builtInDayImplausible(
  db: Database.Database,
  day: string,
  suspects: readonly string[],
): Map<string, Implausible> {
  const found = new Map<string, Implausible>();
  if (suspects.length === 0) return found;
  const row = db.prepare(
    'SELECT did, surveys_completed, surveys_expected, wear_minutes, last_sync_at FROM daily_compliance WHERE did = ? AND day = ?',
  );
  for (const did of suspects) {
    const values = row.get(did, day) as ({ did: string } & Record<string, unknown>) | undefined;
    const problem = values === undefined ? undefined : findImplausible(values);
    if (problem !== undefined) found.set(did, problem);
  }
  return found;
}
