/**
 * Reads and small writes on runs and messages. The states:
 *   run:     planning → planned | blocked → sending ⇄ paused → done; planned → superseded | rejected
 *   message: planned → sending → sent | failed | unknown; plus skipped and blocked at planning.
 * Conservation: every roster row of a run is exactly one message row, in exactly one state.
 */
import type { StateDb } from './state-db.js';

export type RunState = 'planning' | 'planned' | 'blocked' | 'sending' | 'paused' | 'done' | 'superseded' | 'rejected';
export type MessageState = 'planned' | 'sending' | 'sent' | 'failed' | 'unknown' | 'skipped' | 'blocked';
export const MESSAGE_STATES: readonly MessageState[] = [
  'planned',
  'sending',
  'sent',
  'failed',
  'unknown',
  'skipped',
  'blocked',
];

export interface RunRow {
  id: string;
  report_date: string;
  created_at: string;
  requested_by: string;
  state: RunState;
  batch_hash: string;
  template_hash: string;
  mail_from: string | null;
  redirect_to: string | null;
  expires_at: string;
  summary_json: string;
  superseded_by: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  finished_at: string | null;
  slack_channel: string | null;
  slack_ts: string | null;
}

export interface MessageRow {
  id: number;
  run_id: string;
  report_date: string;
  did: string;
  state: MessageState;
  reason: string | null;
  to_masked: string | null;
  sha256: string | null;
  message_id: string | null;
  attempts: number;
  last_error: string | null;
  failure_kind: 'temporary' | 'permanent' | null;
  smtp_response: string | null;
}

export function getRun(db: StateDb, runId: string): RunRow | undefined {
  return db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
}

/** The run that counts for a day: the newest one that finished planning. */
export function currentRun(db: StateDb, reportDate: string): RunRow | undefined {
  return db
    .prepare(
      "SELECT * FROM runs WHERE report_date = ? AND state NOT IN ('planning', 'superseded') ORDER BY created_at DESC, rowid DESC LIMIT 1",
    )
    .get(reportDate) as RunRow | undefined;
}

export function recentRuns(db: StateDb, limit: number): RunRow[] {
  return db
    .prepare("SELECT * FROM runs WHERE state != 'planning' ORDER BY created_at DESC, rowid DESC LIMIT ?")
    .all(limit) as RunRow[];
}

export type StateCounts = Record<MessageState, number>;

export function messageCounts(db: StateDb, runId: string): StateCounts {
  const counts = Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as StateCounts;
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY state').all(runId) as {
    state: MessageState;
    n: number;
  }[];
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}

/** Failed messages known not to have been delivered (4xx, connection): a re-run retries them. */
export function retryableFailures(db: StateDb, runId: string): number {
  return (
    db
      .prepare(
        "SELECT COUNT(*) AS n FROM messages WHERE run_id = ? AND state = 'failed' AND failure_kind = 'temporary'",
      )
      .get(runId) as { n: number }
  ).n;
}

export function messagesInState(
  db: StateDb,
  runId: string,
  states: readonly MessageState[],
  limit = 1_000_000,
): MessageRow[] {
  const placeholders = states.map(() => '?').join(', ');
  return db
    .prepare(`SELECT * FROM messages WHERE run_id = ? AND state IN (${placeholders}) ORDER BY did LIMIT ?`)
    .all(runId, ...states, limit) as MessageRow[];
}

/** DIDs that may already have received D's e-mail, in any run of that day. */
export function didsReachedOn(db: StateDb, reportDate: string): Map<string, MessageState> {
  const rows = db
    .prepare("SELECT did, state FROM messages WHERE report_date = ? AND state IN ('sending', 'sent', 'unknown')")
    .all(reportDate) as { did: string; state: MessageState }[];
  return new Map(rows.map((r) => [r.did, r.state]));
}

/** The template hash of the newest run that sent anything, to say "template changed since last send". */
export function lastSentTemplateHash(db: StateDb): string | undefined {
  const row = db
    .prepare(
      "SELECT r.template_hash AS hash FROM runs r WHERE EXISTS (SELECT 1 FROM messages m WHERE m.run_id = r.id AND m.state = 'sent') ORDER BY r.created_at DESC LIMIT 1",
    )
    .get() as { hash: string } | undefined;
  return row?.hash;
}
