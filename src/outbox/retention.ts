/**
 * RETENTION_DAYS: roster backups, dry-run previews and sent archives older than that many days
 * are deleted at the start of each send-daily. Ages come from the names (the report date of an
 * outbox folder, the timestamp of a roster backup), never from mtimes, which a copy or a restore
 * changes. Today's files, and those of any run not finished yet (planned, approved, sending,
 * paused), are always kept. Counts are reported, never names.
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { runsInStates } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { addDays, localDateTime } from '../util/dates.js';

export interface PruneCounts {
  rosterBackups: number;
  previewDays: number;
  sentDays: number;
}

const reportDateName = /^\d{4}-\d{2}-\d{2}$/;
/** `<roster>.bak-20261123T083000Z` (src/roster/write.ts). */
const backupStamp = /\.bak-(\d{4})(\d{2})(\d{2})T\d{6}Z$/;

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Deletes the report-date folders under `dir` older than `cutoff`, except `keep`; returns how many. */
function pruneDateFolders(dir: string, cutoff: string, keep: ReadonlySet<string>): number {
  let pruned = 0;
  for (const name of entries(dir)) {
    if (!reportDateName.test(name) || name >= cutoff || keep.has(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    pruned++;
  }
  return pruned;
}

function pruneRosterBackups(rosterPath: string, cutoff: string): number {
  const prefix = `${basename(rosterPath)}.bak-`;
  let pruned = 0;
  for (const name of entries(dirname(rosterPath))) {
    const stamp = name.startsWith(prefix) ? backupStamp.exec(name) : null;
    if (stamp === null || `${stamp[1]}-${stamp[2]}-${stamp[3]}` >= cutoff) continue;
    rmSync(join(dirname(rosterPath), name), { force: true });
    pruned++;
  }
  return pruned;
}

/**
 * Prunes what RETENTION_DAYS allows; undefined when it is unset (keep everything). `keep`: report
 * dates whose files must stay whatever their age (the run being prepared or sent).
 */
export function pruneExpired(
  config: Pick<Config, 'RETENTION_DAYS' | 'OUTBOX_DIR' | 'PARTICIPANTS_CSV_PATH' | 'STUDY_TZ'>,
  db: StateDb,
  now: Date,
  keep: readonly string[] = [],
): PruneCounts | undefined {
  if (config.RETENTION_DAYS === undefined) return undefined;
  const today = localDateTime(now, config.STUDY_TZ).date;
  const cutoff = addDays(today, -config.RETENTION_DAYS);
  const unfinished = runsInStates(db, ['planning', 'planned', 'sending', 'paused']).map((r) => r.report_date);
  const kept = new Set([today, ...keep, ...unfinished]);
  return {
    rosterBackups: pruneRosterBackups(config.PARTICIPANTS_CSV_PATH, cutoff),
    previewDays: pruneDateFolders(join(config.OUTBOX_DIR, 'dry-run'), cutoff, kept),
    sentDays: pruneDateFolders(join(config.OUTBOX_DIR, 'sent'), cutoff, kept),
  };
}

export function pruneText(counts: PruneCounts, days: number): string {
  return `RETENTION_DAYS=${days}: removed ${counts.rosterBackups} roster backup(s), ${counts.previewDays} day(s) of previews and ${counts.sentDays} day(s) of sent archives.`;
}
