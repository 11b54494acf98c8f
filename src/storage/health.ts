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
}

export function readHealth(db: StateDb, check: HealthCheck): HealthResult | null {
  const row = db.prepare('SELECT ok, at, detail_json FROM health WHERE check_name = ?').get(check) as
    | { ok: number; at: string; detail_json: string }
    | undefined;
  return row === undefined ? null : { ok: row.ok === 1, at: row.at, detail: JSON.parse(row.detail_json) };
}
