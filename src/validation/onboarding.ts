/**
 * Onboarding check: a participant active in the roster for ONBOARDING_GRACE_DAYS days (since
 * validation or a dry run first saw them) with no device data at all has probably not set up
 * their device. The day they were first seen is recorded here; the reminder is posted once.
 * "Data" is what the e-mails go by: a row of the compliance query. The built-in query has one per
 * daily_compliance row, so that table answers; a custom COMPLIANCE_QUERY_PATH is answered by the
 * ledger, which records every DID the query returned on each report date a run was planned for.
 */
import { didsWithAnyData } from '../compliance/completion.js';
import { openComplianceDb } from '../compliance/db.js';
import type { Config } from '../config.js';
import { readRosterFile } from '../roster/read.js';
import { type ActiveDids, didsWithQueryRows, firstSeenBy, recordFirstSeen } from '../storage/participants-seen.js';
import type { StateDb } from '../storage/state-db.js';
import { addDays, localDateTime } from '../util/dates.js';

export interface OnboardingOverdue {
  did: string;
  first_seen: string;
  /** Days since first seen (STUDY_TZ). */
  days: number;
  /** When the Slack reminder was posted; null: not yet. */
  reminded_at: string | null;
}

/**
 * Every active participant of a validation is "seen" today (STUDY_TZ), if not seen before: pass
 * the result as validateDay's `onActive`, which calls it once the roster has been read.
 */
export function seenRecorder(db: StateDb, config: Config, now: Date): (active: ActiveDids) => void {
  const today = localDateTime(now, config.STUDY_TZ).date;
  return (active) => {
    recordFirstSeen(db, today, active, now);
  };
}

const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** Active, past the grace period, no device data yet; not reminded yet unless `includeReminded`. */
export function overdueOnboarding(
  db: StateDb,
  config: Config,
  now: Date,
  includeReminded = false,
): OnboardingOverdue[] {
  const today = localDateTime(now, config.STUDY_TZ).date;
  const candidates = firstSeenBy(db, addDays(today, -config.ONBOARDING_GRACE_DAYS), includeReminded);
  if (candidates.length === 0) return [];
  const active = new Set<string>();
  const { rows } = readRosterFile(config.PARTICIPANTS_CSV_PATH);
  try {
    for (const row of rows) if (row.status === 'active') active.add(row.did);
  } finally {
    rows.close();
  }
  const stillActive = candidates.filter((c) => active.has(c.did));
  const withData = hasData(db, config, stillActive);
  return stillActive
    .filter((c) => !withData.has(c.did))
    .map((c) => ({
      did: c.did,
      first_seen: c.first_seen,
      days: daysBetween(c.first_seen, today),
      reminded_at: c.onboarding_reminded_at,
    }));
}

function hasData(db: StateDb, config: Config, candidates: readonly { did: string; first_seen: string }[]): Set<string> {
  if (candidates.length === 0) return new Set();
  if (config.COMPLIANCE_QUERY_PATH !== undefined) {
    // A dry run for report date D first sees a participant on D + 1 (or later).
    const since = addDays(candidates.map((c) => c.first_seen).sort()[0]!, -1);
    return didsWithQueryRows(db, since);
  }
  const compliance = openComplianceDb(config.COMPLIANCE_DB_PATH);
  let withData: Set<string>;
  try {
    withData = didsWithAnyData(
      compliance,
      candidates.map((c) => c.did),
    );
  } finally {
    compliance.close();
  }
  return withData;
}
