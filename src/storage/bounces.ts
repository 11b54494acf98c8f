/**
 * The ledger's side of bounces and opt-outs: per-message tokens written at dry-run time, the
 * lookups that match a returned message to one of ours, and what is recorded when one comes
 * back. Every query of the issue-11 columns of `messages` is here.
 */
import type { MessageRow } from './messages.js';
import type { StateDb } from './state-db.js';

export interface MessageTokens {
  did: string;
  returnPathToken: string | undefined;
  unsubscribeToken: string | undefined;
}

/** Stores the tokens of a run's rendered messages (one transaction). */
export function recordTokens(db: StateDb, runId: string, tokens: readonly MessageTokens[]): void {
  if (tokens.length === 0) return;
  const update = db.prepare(
    'UPDATE messages SET return_path_token = ?, unsubscribe_token = ? WHERE run_id = ? AND did = ?',
  );
  db.transaction(() => {
    for (const t of tokens) update.run(t.returnPathToken ?? null, t.unsubscribeToken ?? null, runId, t.did);
  })();
}

export interface BouncedMessageRow extends MessageRow {
  return_path_token: string | null;
  unsubscribe_token: string | null;
  bounce_status: string | null;
  bounce_diagnostic: string | null;
  bounced_at: string | null;
  soft_bounces: number;
  opted_out_at: string | null;
  /** When the team was told in the run's thread (storage/notices.ts). */
  bounce_noticed_at: string | null;
}

/** States a returned message can be about: it left us (or may have). */
const WENT_OUT = "state IN ('sent', 'unknown', 'bounced')";

export function messageByReturnPathToken(db: StateDb, token: string): BouncedMessageRow | undefined {
  return db.prepare(`SELECT * FROM messages WHERE return_path_token = ? AND ${WENT_OUT}`).get(token) as
    | BouncedMessageRow
    | undefined;
}

export function messageByMessageId(db: StateDb, messageId: string): BouncedMessageRow | undefined {
  return db.prepare(`SELECT * FROM messages WHERE message_id = ? AND ${WENT_OUT}`).get(messageId) as
    | BouncedMessageRow
    | undefined;
}

/** The run's message to a recipient, by masked address (the last resort: run ID + recipient). */
export function messagesOfRunTo(db: StateDb, runId: string, toMasked: string): BouncedMessageRow[] {
  return db
    .prepare(`SELECT * FROM messages WHERE run_id = ? AND to_masked = ? AND ${WENT_OUT}`)
    .all(runId, toMasked) as BouncedMessageRow[];
}

export function messageByUnsubscribeToken(db: StateDb, token: string): BouncedMessageRow | undefined {
  return db.prepare(`SELECT * FROM messages WHERE unsubscribe_token = ?`).get(token) as BouncedMessageRow | undefined;
}

/** A hard bounce: `sent` (or `unknown`: it did go out) becomes `bounced`. False when already recorded. */
export function markBounced(
  db: StateDb,
  id: number,
  status: string | null,
  diagnostic: string | null,
  at: string,
): boolean {
  return (
    db
      .prepare(
        `UPDATE messages SET state = 'bounced', bounce_status = ?, bounce_diagnostic = ?, bounced_at = ?, updated_at = ?
         WHERE id = ? AND state IN ('sent', 'unknown')`,
      )
      .run(status, diagnostic, at, at, id).changes === 1
  );
}

export function countSoftBounce(db: StateDb, id: number, status: string | null, at: string): void {
  db.prepare(
    'UPDATE messages SET soft_bounces = soft_bounces + 1, bounce_status = COALESCE(bounce_status, ?), updated_at = ? WHERE id = ?',
  ).run(status, at, id);
}

/** False when this message's opt-out was already recorded. */
export function markOptedOut(db: StateDb, id: number, at: string): boolean {
  return (
    db.prepare('UPDATE messages SET opted_out_at = ? WHERE id = ? AND opted_out_at IS NULL').run(at, id).changes === 1
  );
}

export interface DayOutcome {
  report_date: string;
  delivered: number;
  bounced: number;
  soft_bounced: number;
  unknown: number;
  opted_out: number;
}

/** Per report date, newest first: what became of the messages that went out. */
export function outcomesByDay(db: StateDb, limit = 14): DayOutcome[] {
  return db
    .prepare(
      `SELECT report_date,
              SUM(state = 'sent' AND soft_bounces = 0) AS delivered,
              SUM(state = 'bounced') AS bounced,
              SUM(state = 'sent' AND soft_bounces > 0) AS soft_bounced,
              SUM(state = 'unknown') AS unknown,
              SUM(opted_out_at IS NOT NULL) AS opted_out
       FROM messages WHERE state IN ('sent', 'bounced', 'unknown')
       GROUP BY report_date ORDER BY report_date DESC LIMIT ?`,
    )
    .all(limit) as DayOutcome[];
}

export interface ImapProgress {
  uidValidity: string;
  lastUid: number;
}

export function imapProgress(db: StateDb, mailbox: string): ImapProgress | undefined {
  const row = db.prepare('SELECT uid_validity, last_uid FROM imap_progress WHERE mailbox = ?').get(mailbox) as
    | { uid_validity: string; last_uid: number }
    | undefined;
  return row === undefined ? undefined : { uidValidity: row.uid_validity, lastUid: row.last_uid };
}

export function saveImapProgress(db: StateDb, mailbox: string, progress: ImapProgress, at: string): void {
  db.prepare(
    `INSERT INTO imap_progress (mailbox, uid_validity, last_uid, checked_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
       checked_at = excluded.checked_at`,
  ).run(mailbox, progress.uidValidity, progress.lastUid, at);
}
