/**
 * The runs table: one row per dry run of a report date, and what became of it.
 *   planning → planned | blocked → sending ⇄ paused → done; planned → superseded | rejected
 * Every query of the table is here; callers get typed rows.
 */
import type { StateDb } from './state-db.js';

export type RunState = 'planning' | 'planned' | 'blocked' | 'sending' | 'paused' | 'done' | 'superseded' | 'rejected';

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
  pause_reason: string | null;
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

export function runsInStates(db: StateDb, states: readonly RunState[]): RunRow[] {
  return db
    .prepare(`SELECT * FROM runs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at`)
    .all(...states) as RunRow[];
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

export interface NewRun {
  id: string;
  reportDate: string;
  createdAt: string;
  requestedBy: string;
  templateHash: string;
  mailFrom: string | null;
  redirectTo: string | null;
  expiresAt: string;
}

/** A run being planned: never sendable until completePlanning marks it planned or blocked. */
export function insertPlanningRun(db: StateDb, run: NewRun): void {
  db.prepare(
    `INSERT INTO runs (id, report_date, created_at, requested_by, state, batch_hash, template_hash, mail_from, redirect_to, expires_at, summary_json)
     VALUES (?, ?, ?, ?, 'planning', '', ?, ?, ?, ?, '{}')`,
  ).run(
    run.id,
    run.reportDate,
    run.createdAt,
    run.requestedBy,
    run.templateHash,
    run.mailFrom,
    run.redirectTo,
    run.expiresAt,
  );
}

/** Runs of the day that a new dry run replaces (they have not started sending). */
export function supersedableRuns(db: StateDb, reportDate: string, exceptRunId: string): string[] {
  return (
    db
      .prepare("SELECT id FROM runs WHERE report_date = ? AND id != ? AND state IN ('planned', 'blocked', 'paused')")
      .all(reportDate, exceptRunId) as { id: string }[]
  ).map((r) => r.id);
}

export function markSuperseded(db: StateDb, runId: string, by: string): void {
  db.prepare("UPDATE runs SET state = 'superseded', superseded_by = ? WHERE id = ?").run(by, runId);
}

export function completePlanning(
  db: StateDb,
  runId: string,
  state: 'planned' | 'blocked',
  batchHash: string,
  summaryJson: string,
): void {
  db.prepare('UPDATE runs SET state = ?, batch_hash = ?, summary_json = ? WHERE id = ?').run(
    state,
    batchHash,
    summaryJson,
    runId,
  );
}

export function setRunState(db: StateDb, runId: string, state: RunState, finishedAt: string | null = null): void {
  db.prepare('UPDATE runs SET state = ?, finished_at = ?, pause_reason = NULL WHERE id = ?').run(
    state,
    finishedAt,
    runId,
  );
}

export function pauseRun(db: StateDb, runId: string, reason: string): void {
  db.prepare("UPDATE runs SET state = 'paused', pause_reason = ? WHERE id = ?").run(reason, runId);
}

/** The pause reason of a send stopped by a signal (shutdown), not by a fault: safe to resume. */
export const INTERRUPTED_REASON = 'interrupted: the sender was stopped (shutdown or signal) mid-send';

/**
 * Approved runs whose send has not finished through no fault: approved but never started (the
 * bot stopped before it could), left in "sending" by a process that died, or stopped by a
 * shutdown. Runs paused by a fault (the relay, the previews) wait for a person to Resume.
 */
export function unfinishedApprovedRuns(db: StateDb): RunRow[] {
  return db
    .prepare(
      "SELECT * FROM runs WHERE decided_by IS NOT NULL AND (state IN ('planned', 'sending') OR (state = 'paused' AND pause_reason = ?)) ORDER BY created_at",
    )
    .all(INTERRUPTED_REASON) as RunRow[];
}

/** The approved run of D that is about to send or sending, if any (a dry run must not replace it). */
export function approvedRunInFlight(db: StateDb, reportDate: string): RunRow | undefined {
  return db
    .prepare(
      "SELECT * FROM runs WHERE report_date = ? AND decided_by IS NOT NULL AND state IN ('planned', 'sending') ORDER BY created_at DESC LIMIT 1",
    )
    .get(reportDate) as RunRow | undefined;
}

/** Where the run's approval request is in Slack, so later states update it in place. */
export function setSlackMessage(db: StateDb, runId: string, channel: string, ts: string): void {
  db.prepare('UPDATE runs SET slack_channel = ?, slack_ts = ? WHERE id = ?').run(channel, ts, runId);
}
