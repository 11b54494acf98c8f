/**
 * The latest result of each recurring check ("smtp", "qualtrics_sync"), kept for `status`,
 * App Home and the alerts. One row per check, overwritten by the next result.
 */
import type { StateDb } from './state-db.js';

export type HealthCheck = 'smtp' | 'qualtrics_sync';

export interface HealthResult {
  ok: boolean;
  at: string;
  detail: unknown;
}

export function recordHealth(db: StateDb, check: HealthCheck, ok: boolean, at: string, detail: unknown): void {
  db.prepare(
    'INSERT INTO health (check_name, ok, at, detail_json) VALUES (?, ?, ?, ?) ON CONFLICT(check_name) DO UPDATE SET ok = excluded.ok, at = excluded.at, detail_json = excluded.detail_json',
  ).run(check, ok ? 1 : 0, at, JSON.stringify(detail));
  // The last success survives a later failure: /metrics reports how long a check has been failing.
  if (ok)
    db.prepare(
      "INSERT INTO health (check_name, ok, at, detail_json) VALUES (?, 1, ?, '{}') ON CONFLICT(check_name) DO UPDATE SET at = excluded.at",
    ).run(`${check}:last_ok`, at);
}

/** When the check last succeeded, if ever (since this row was introduced). */
export function lastHealthOk(db: StateDb, check: HealthCheck): string | undefined {
  const row = db.prepare('SELECT at FROM health WHERE check_name = ?').get(`${check}:last_ok`) as
    | { at: string }
    | undefined;
  return row?.at;
}

/**
 * A real write to the state DB's file (for `GET /healthz`): one small row, overwritten each
 * time. A short busy timeout, so a lock held elsewhere fails the probe instead of hanging it.
 */
export function probeStateDbWrite(db: StateDb, at: string, busyTimeoutMs = 1000): void {
  const previous = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  try {
    db.prepare(
      "INSERT INTO health (check_name, ok, at, detail_json) VALUES ('healthz:write_probe', 1, ?, '{}') ON CONFLICT(check_name) DO UPDATE SET at = excluded.at",
    ).run(at);
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

export function readHealth(db: StateDb, check: HealthCheck): HealthResult | null {
  const row = db.prepare('SELECT ok, at, detail_json FROM health WHERE check_name = ?').get(check) as
    | { ok: number; at: string; detail_json: string }
    | undefined;
  return row === undefined ? null : { ok: row.ok === 1, at: row.at, detail: JSON.parse(row.detail_json) };
}
