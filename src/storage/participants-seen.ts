/** participants_seen: when each DID was first seen active, and whether its onboarding reminder went out. */
import type { StateDb } from './state-db.js';

/** DIDs per statement: the JSON of a chunk is short-lived, and SQLite does the lookups. */
const SEEN_CHUNK = 4096;

/** The active DIDs of one validation, and a fingerprint of them (validation/day-pass.ts). */
export interface ActiveDids {
  /** Equal for equal sets of DIDs (with their counts); util/multiset-fingerprint.ts. */
  fingerprint: string;
  dids(): Iterable<string>;
}

/**
 * Records `day` (YYYY-MM-DD, STUDY_TZ) as the first-seen day of every DID that was not seen
 * before, a few thousand DIDs a statement, in one transaction with the set's fingerprint. The
 * same set again on the same day (every validation until the roster changes) writes nothing:
 * looking 100,000 DIDs up was a tenth of a 100,000-participant validation. The first validation
 * of each day writes in full, so that even a fingerprint equal by chance could not keep a
 * participant unrecorded past that day. Returns whether it wrote.
 */
export function recordFirstSeen(db: StateDb, day: string, active: ActiveDids, at: Date): boolean {
  const last = db.prepare('SELECT fingerprint, day FROM participants_seen_set WHERE id = 1').get() as
    | { fingerprint: string; day: string }
    | undefined;
  if (last?.fingerprint === active.fingerprint && last.day === day) return false;
  const insert = db.prepare(
    'INSERT INTO participants_seen (did, first_seen) SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT (did) DO NOTHING',
  );
  db.transaction(() => {
    let chunk: string[] = [];
    const flush = (): void => {
      if (chunk.length > 0) insert.run(day, JSON.stringify(chunk));
      chunk = [];
    };
    for (const did of active.dids()) {
      chunk.push(did);
      if (chunk.length >= SEEN_CHUNK) flush();
    }
    flush();
    db.prepare(
      `INSERT INTO participants_seen_set (id, fingerprint, day, recorded_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, day = excluded.day, recorded_at = excluded.recorded_at`,
    ).run(active.fingerprint, day, at.toISOString());
  })();
  return true;
}

/** DIDs first seen on or before `day` (only those not reminded yet, unless `includeReminded`). */
export function firstSeenBy(
  db: StateDb,
  day: string,
  includeReminded: boolean,
): { did: string; first_seen: string; onboarding_reminded_at: string | null }[] {
  return db
    .prepare(
      `SELECT did, first_seen, onboarding_reminded_at FROM participants_seen
       WHERE first_seen <= ? AND (? OR onboarding_reminded_at IS NULL) ORDER BY first_seen, did`,
    )
    .all(day, includeReminded ? 1 : 0) as { did: string; first_seen: string; onboarding_reminded_at: string | null }[];
}

export function markReminded(db: StateDb, dids: readonly string[], at: Date): void {
  const update = db.prepare('UPDATE participants_seen SET onboarding_reminded_at = ? WHERE did = ?');
  db.transaction(() => {
    for (const did of dids) update.run(at.toISOString(), did);
  })();
}

/**
 * DIDs the configured compliance query returned a row for, by the ledger, in any run of a report
 * date from `since` on: a message with the row's completion code, or one that was planned (only
 * a row is planned). For a custom COMPLIANCE_QUERY_PATH, whose rows the daily_compliance table
 * does not tell. The runs are found by their date index, their messages by (run_id, did).
 */
export function didsWithQueryRows(db: StateDb, since: string): Set<string> {
  return new Set(
    db
      .prepare(
        `SELECT DISTINCT m.did FROM runs r JOIN messages m ON m.run_id = r.id
         WHERE r.report_date >= ?
           AND (m.completion IS NOT NULL OR m.state IN ('planned', 'sending', 'sent', 'failed', 'unknown', 'bounced'))`,
      )
      .pluck(true)
      .all(since) as string[],
  );
}
