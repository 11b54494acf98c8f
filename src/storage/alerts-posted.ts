/**
 * alerts_posted: one alert per condition per day. A row is the proof that today's alert for a
 * condition went out; taking the row first means two checks at once post it once.
 */
import type { StateDb } from './state-db.js';

/** True when this caller may post the alert (nobody has today). */
export function claimAlert(db: StateDb, condition: string, day: string, at: Date): boolean {
  return (
    db
      .prepare('INSERT OR IGNORE INTO alerts_posted (condition, day, at) VALUES (?, ?, ?)')
      .run(condition, day, at.toISOString()).changes === 1
  );
}

/** The post failed: not "alerted today" after all, so the next check tries again. */
export function releaseAlert(db: StateDb, condition: string, day: string): void {
  db.prepare('DELETE FROM alerts_posted WHERE condition = ? AND day = ?').run(condition, day);
}
