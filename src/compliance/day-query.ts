/**
 * What validation needs from the compliance database for one report date: the DIDs with data on
 * the day, the query's columns, the newest day when the day has none, and (built-in query) the
 * day's impossible values. Run in a worker thread beside the roster's reading (day-query-aside.ts),
 * or in this one.
 */
import { builtInDayDids, builtInDayImplausible } from './day-dids.js';
import {
  type ComplianceDb,
  type DayData,
  type DayQuery,
  explainComplianceError,
  latestDay,
  openComplianceDb,
  queryDay,
} from './db.js';
import type { Implausible } from './plausibility.js';

export interface DayResult {
  day: DayData;
  /** The newest day in the database, when the report date has no data. */
  newest: string | undefined;
  /** Impossible values of the day, by DID (built-in query only). */
  implausible: Map<string, Implausible>;
}

export function queryTheDay(dbPath: string, query: DayQuery, reportDate: string): DayResult {
  const db = openComplianceDb(dbPath);
  try {
    const builtIn = query.source === 'built-in';
    const suspects: string[] = [];
    const listing = builtIn ? (d: ComplianceDb, date: string) => builtInDayDids(d, date, suspects) : undefined;
    const day = queryDay(db, query.sql, query.source, reportDate, listing);
    return {
      day,
      newest: day.dids.size === 0 ? latestDay(db) : undefined,
      implausible: builtIn ? builtInDayImplausible(db, reportDate, suspects) : new Map(),
    };
  } catch (error) {
    throw explainComplianceError(error, dbPath);
  } finally {
    db.close();
  }
}
