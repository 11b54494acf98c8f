/**
 * The ledger read for `GET /metrics`: aggregates only (counts by state, timestamps, durations),
 * never a DID, name or address. Read at scrape time, so the numbers survive a restart and equal
 * what `status --json` shows.
 */
import type { StateDb } from './state-db.js';

/**
 * How many times a message reached each outcome, ever, and when it last did: the
 * message_outcomes table (schema.ts), kept by triggers on the messages table and never lowered.
 * One row per outcome, so a scrape costs the same after a year of runs as after one.
 */
export function messageOutcomeTotals(db: StateDb): Map<string, { n: number; at: string | undefined }> {
  const rows = db.prepare('SELECT outcome, n, at FROM message_outcomes').all() as {
    outcome: string;
    n: number;
    at: string | null;
  }[];
  return new Map(rows.map((r) => [r.outcome, { n: r.n, at: r.at ?? undefined }]));
}

/** Runs by state (done, paused, rejected, superseded, ...). */
export function runsByState(db: StateDb): Map<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM runs GROUP BY state').all() as {
    state: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.state, r.n]));
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

/**
 * Each finished run's send, in seconds: from its first message handed to the relay to its last
 * outcome (pauses included), fixed when the run first reached done (schema.ts, send_seconds).
 */
export function runSendDurations(db: StateDb): number[] {
  return db
    .prepare("SELECT send_seconds FROM runs WHERE state = 'done' AND send_seconds IS NOT NULL ORDER BY rowid")
    .pluck(true)
    .all() as number[];
}
