/**
 * The ledger read for `GET /metrics`: aggregates only (counts by state, timestamps, durations),
 * never a DID, name or address. Read at scrape time, so the numbers survive a restart and equal
 * what `status --json` shows.
 */
import type { StateDb } from './state-db.js';

/** Messages of every run by ledger state (sent, failed, bounced, unknown, skipped, blocked, ...). */
export function messagesByState(db: StateDb): Map<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM messages GROUP BY state').all() as {
    state: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.state, r.n]));
}

/** Runs by state (done, paused, rejected, superseded, ...). */
export function runsByState(db: StateDb): Map<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM runs GROUP BY state').all() as {
    state: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.state, r.n]));
}

/** When the relay last accepted a message (a later bounce still counts as accepted). */
export function lastAcceptedAt(db: StateDb): string | undefined {
  const row = db.prepare("SELECT MAX(updated_at) AS at FROM messages WHERE state IN ('sent', 'bounced')").get() as {
    at: string | null;
  };
  return row.at ?? undefined;
}

/** Requests waiting for a decision (planned, undecided, not expired): how many, the oldest's time. */
export function pendingApprovals(db: StateDb, now: Date): { count: number; oldest: string | undefined } {
  const row = db
    .prepare(
      "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM runs WHERE state = 'planned' AND decided_by IS NULL AND expires_at > ?",
    )
    .get(now.toISOString()) as { n: number; oldest: string | null };
  return { count: row.n, oldest: row.oldest ?? undefined };
}

/** Approval-to-finish time of every finished run, in seconds. */
export function runSendDurations(db: StateDb): number[] {
  const rows = db
    .prepare(
      "SELECT decided_at, finished_at FROM runs WHERE state = 'done' AND decided_at IS NOT NULL AND finished_at IS NOT NULL",
    )
    .all() as { decided_at: string; finished_at: string }[];
  return rows
    .map((r) => (Date.parse(r.finished_at) - Date.parse(r.decided_at)) / 1000)
    .filter((s) => Number.isFinite(s) && s >= 0);
}
