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
import type { DidListing } from './db.js';
import { findImplausible, type Implausible } from './plausibility.js';

/** Deliberately wider than plausibility.ts (a false suspect costs one lookup; a miss, a wrong e-mail). */
const SUSPECT = `(
  typeof(surveys_completed) <> 'integer' OR typeof(surveys_expected) <> 'integer'
  OR surveys_completed < 0 OR surveys_expected < 0 OR surveys_completed > surveys_expected
  OR (wear_minutes IS NOT NULL AND (typeof(wear_minutes) NOT IN ('integer', 'real') OR wear_minutes < 0 OR wear_minutes > 1440))
  OR (last_sync_at IS NOT NULL AND julianday(last_sync_at) IS NULL)
)`;

export function builtInDayDids(db: Database.Database, day: string, suspects: string[]): DidListing {
  // (did, day) is the primary key: one row per DID and day, no DISTINCT needed.
  // The whole day as one string (1 a suspect, 0 not, then the DID; RS between): one value
  // instead of 100,000 is most of this query's cost saved, and nothing per DID is left in the
  // young generation for the collector to copy. A DID holding RS itself shows as a wrong count,
  // and the day is then read a row at a time, as it is when any DID is not stored as text.
  const { count, others, list } = db
    .prepare(
      `SELECT count(did) AS count, total(typeof(did) <> 'text') AS others,
         group_concat((CASE WHEN ${SUSPECT} THEN '1' ELSE '0' END) || did, char(30)) AS list
       FROM daily_compliance WHERE day = :day`,
    )
    .get({ day }) as { count: number; others: number; list: string | null };
  // SQLite's text for a number or a blob need not be the dry run's (1.0 is "1" in JavaScript).
  if (others > 0) return rowByRow(db, day, suspects);
  if (list === null) return [];
  if (countOf(list, RS) + 1 !== count) return rowByRow(db, day, suspects);
  const dids = (function* () {
    for (let start = 0; start <= list.length; ) {
      let end = list.indexOf(RS, start);
      if (end === -1) end = list.length;
      const did = list.slice(start + 1, end);
      if (list[start] === '1') suspects.push(did);
      yield did;
      start = end + 1;
    }
  })();
  return Object.assign(dids, { expected: count });
}

const RS = '\u001e';

function countOf(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** The same listing a row at a time: for a day whose DIDs cannot be joined into one string. */
function* rowByRow(db: Database.Database, day: string, suspects: string[]): Generator<string> {
  const rows = db
    .prepare(`SELECT ${SUSPECT} AS suspect, did FROM daily_compliance WHERE day = :day AND did IS NOT NULL`)
    .iterate({ day }) as IterableIterator<{ suspect: number; did: unknown }>;
  for (const { suspect, did } of rows) {
    const text = Buffer.isBuffer(did) ? did.toString('utf8') : String(did);
    if (suspect === 1) suspects.push(text);
    yield text;
  }
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
