/**
 * slack_sync_queue: runs whose approval request and failure thread in Slack are behind the
 * ledger. Any sender (the bot, a CLI shell) asks for a sync; the bot drains the queue and keeps
 * an entry until Slack has accepted the update, so an outage or a CLI send loses nothing.
 */
import type { StateDb } from './state-db.js';

export interface SlackSyncEntry {
  run_id: string;
  requested_at: string;
  next_at: string;
  attempts: number;
  last_error: string | null;
}

/** Asks the bot to bring the run's Slack request up to date (idempotent; due at once). */
export function requestSlackSync(db: StateDb, runId: string, at: Date): void {
  const iso = at.toISOString();
  db.prepare(
    `INSERT INTO slack_sync_queue (run_id, requested_at, next_at) VALUES (?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET requested_at = excluded.requested_at, next_at = excluded.next_at`,
  ).run(runId, iso, iso);
}

export function dueSlackSyncs(db: StateDb, now: Date): SlackSyncEntry[] {
  return db
    .prepare('SELECT * FROM slack_sync_queue WHERE next_at <= ? ORDER BY requested_at LIMIT 50')
    .all(now.toISOString()) as SlackSyncEntry[];
}

export function pendingSlackSyncCount(db: StateDb): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM slack_sync_queue').get() as { n: number }).n;
}

/** Done, unless someone asked again while this sync ran (then it stays due). */
export function completeSlackSync(db: StateDb, entry: SlackSyncEntry): void {
  db.prepare('DELETE FROM slack_sync_queue WHERE run_id = ? AND requested_at = ?').run(
    entry.run_id,
    entry.requested_at,
  );
}

/** Keeps the entry and tries again at `retryAt` (or sooner if someone asks again). */
export function deferSlackSync(db: StateDb, entry: SlackSyncEntry, retryAt: Date, error: string | null): void {
  db.prepare(
    'UPDATE slack_sync_queue SET next_at = ?, attempts = attempts + ?, last_error = ? WHERE run_id = ? AND requested_at = ?',
  ).run(retryAt.toISOString(), error === null ? 0 : 1, error?.slice(0, 500) ?? null, entry.run_id, entry.requested_at);
}
