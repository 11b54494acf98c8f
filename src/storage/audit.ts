import type { StateDb } from './state-db.js';

export type AuditAction =
  | 'run_planned'
  | 'run_superseded'
  | 'run_approved'
  | 'run_rejected'
  | 'send_started'
  | 'send_finished'
  | 'send_paused'
  | 'send_resumed'
  | 'message_failed'
  | 'unknown_resend_requested'
  | 'ticket_filed'
  | 'smtp_check'
  | 'roster_synced'
  | 'roster_sync_failed'
  | 'alert_posted'
  | 'onboarding_reminder_posted'
  | 'bounce_recorded'
  | 'opt_out_recorded'
  | 'suppression_removed';

export interface AuditEntry {
  actor: string;
  action: AuditAction;
  runId?: string;
  reportDate?: string;
  batchHash?: string;
  detail?: Record<string, unknown>;
}

/** Appends one row to the audit trail (who, when, what, which batch). Never updated or deleted. */
export function audit(db: StateDb, entry: AuditEntry, at: Date): void {
  db.prepare(
    `INSERT INTO audit (at, actor, action, run_id, report_date, batch_hash, detail_json)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    at.toISOString(),
    entry.actor,
    entry.action,
    entry.runId ?? null,
    entry.reportDate ?? null,
    entry.batchHash ?? null,
    entry.detail === undefined ? null : JSON.stringify(entry.detail),
  );
}

export interface AuditRow {
  at: string;
  actor: string;
  action: AuditAction;
  run_id: string | null;
  detail_json: string | null;
}

export function auditForRun(db: StateDb, runId: string): AuditRow[] {
  return db
    .prepare('SELECT at, actor, action, run_id, detail_json FROM audit WHERE run_id = ? ORDER BY id')
    .all(runId) as AuditRow[];
}
