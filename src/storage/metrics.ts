/**
 * The ledger read for `GET /metrics`: aggregates only (counts by state, timestamps, durations),
 * never a DID, name or address. Read at scrape time, so the numbers survive a restart and equal
 * what `status --json` shows.
 */
import type { StateDb } from './state-db.js';

/**
 * Runs for the ledger totals, newest first: whether a run is finished (a final state: only a
 * bounce changes it now) and whether it was created before `oldBefore` (then nothing changes it).
 */
export function runsForTotals(db: StateDb, oldBefore: string): { id: string; finished: boolean; old: boolean }[] {
  return (
    db
      .prepare(
        "SELECT id, state IN ('done', 'superseded', 'rejected', 'blocked') AS finished, created_at < ? AS old FROM runs ORDER BY created_at DESC, rowid DESC",
      )
      .all(oldBefore) as { id: string; finished: number; old: number }[]
  ).map((r) => ({ id: r.id, finished: r.finished === 1, old: r.old === 1 }));
}

/**
 * One run's messages by ledger state, and when the relay last accepted one of them: a range of
 * the (run_id, did) index, so a scrape reads the recent runs, not the whole ledger.
 */
export function runLedgerSummary(db: StateDb, runId: string): { counts: Map<string, number>; lastSentAt?: string } {
  const rows = db
    .prepare(
      "SELECT state, COUNT(*) AS n, MAX(CASE WHEN state = 'sent' THEN updated_at END) AS last_sent FROM messages WHERE run_id = ? GROUP BY state",
    )
    .all(runId) as { state: string; n: number; last_sent: string | null }[];
  const lastSentAt = rows.find((r) => r.last_sent !== null)?.last_sent ?? undefined;
  return { counts: new Map(rows.map((r) => [r.state, r.n])), ...(lastSentAt ? { lastSentAt } : {}) };
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
