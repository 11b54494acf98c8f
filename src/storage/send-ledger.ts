/**
 * The send path's side of the messages table: claims, outcomes, the next page of planned rows,
 * and the reconciliation a send starts with (rows a crashed process left in "sending").
 */
import type { Statement } from 'better-sqlite3';
import { UsageError } from '../errors.js';
import { audit } from './audit.js';
import type { StateDb } from './state-db.js';

export interface QueuedMessage {
  id: number;
  did: string;
  sha256: string;
  message_id: string;
  to_masked: string | null;
  attempts: number;
}

/**
 * The send path's statements, prepared once per send: claims, outcomes and the next page of
 * planned messages (a run's rows are contiguous, so paging by id needs no index on state).
 */
export class SendLedger {
  private readonly statements: Record<
    'claim' | 'markSent' | 'skipDuplicate' | 'markFailed' | 'markUnknown' | 'releaseClaim' | 'page',
    Statement
  >;

  constructor(readonly db: StateDb) {
    this.statements = {
      claim: db.prepare(
        "UPDATE messages SET state = 'sending', attempts = attempts + 1, owner = ?, updated_at = ? WHERE id = ? AND state = 'planned'",
      ),
      markSent: db.prepare(
        "UPDATE messages SET state = 'sent', smtp_response = ?, last_error = NULL, updated_at = ? WHERE id = ?",
      ),
      skipDuplicate: db.prepare(
        "UPDATE messages SET state = 'skipped', reason = 'already_sent', updated_at = ? WHERE id = ?",
      ),
      markFailed: db.prepare(
        'UPDATE messages SET state = ?, failure_kind = ?, last_error = ?, updated_at = ? WHERE id = ?',
      ),
      markUnknown: db.prepare("UPDATE messages SET state = 'unknown', last_error = ?, updated_at = ? WHERE id = ?"),
      releaseClaim: db.prepare(
        "UPDATE messages SET state = 'planned', attempts = attempts - 1, updated_at = ? WHERE id = ?",
      ),
      page: db.prepare(
        "SELECT id, did, sha256, message_id, to_masked, attempts FROM messages WHERE run_id = ? AND state = 'planned' AND id > ? ORDER BY id LIMIT ?",
      ),
    };
  }

  /** planned → sending; false when the message is no longer planned. Throws SQLITE_CONSTRAINT_UNIQUE for a duplicate. */
  claim(id: number, owner: string, at: string): boolean {
    return this.statements.claim.run(owner, at, id).changes === 1;
  }

  markSent(id: number, response: string, at: string): void {
    this.statements.markSent.run(response, at, id);
  }

  /** Another run of the day already reached this participant. */
  skipAsDuplicate(id: number, at: string): void {
    this.statements.skipDuplicate.run(at, id);
  }

  /** A failed attempt: back to planned (to retry) or failed for good. */
  markFailed(
    id: number,
    state: 'planned' | 'failed',
    kind: 'temporary' | 'permanent',
    error: string,
    at: string,
  ): void {
    this.statements.markFailed.run(state, kind, error, at, id);
  }

  markUnknown(id: number, error: string, at: string): void {
    this.statements.markUnknown.run(error, at, id);
  }

  /** Undoes a claim whose message was never handed to the relay. */
  releaseClaim(id: number, at: string): void {
    this.statements.releaseClaim.run(at, id);
  }

  plannedPage(runId: string, afterId: number, limit: number): QueuedMessage[] {
    return this.statements.page.all(runId, afterId, limit) as QueuedMessage[];
  }
}

export interface OrphanedMessage {
  did: string;
  message_id: string | null;
  to_masked: string | null;
  attempts: number;
}

/**
 * Before a send, under the day's lock: anything still "sending" belonged to a sender that died,
 * so its outcome is unknown; unknowns of this run go back to planned only when asked; temporary
 * failures from an earlier pass are retried (they are known not to have been delivered).
 * Returns the orphans and how many unknowns were put back.
 */
/** Which unknown-outcome messages to send again: none (the default), all, or the named DIDs. */
export type ResendUnknown = 'none' | 'all' | readonly string[];

/** DIDs of the run whose outcome is unknown, with what the relay's log can be searched for. */
export interface UnknownOutcome {
  did: string;
  message_id: string | null;
  attempted_at: string;
  last_error: string | null;
}

export function unknownOutcomes(db: StateDb, runId: string): UnknownOutcome[] {
  return db
    .prepare(
      "SELECT did, message_id, updated_at AS attempted_at, last_error FROM messages WHERE run_id = ? AND state = 'unknown' ORDER BY did",
    )
    .all(runId) as UnknownOutcome[];
}

function requeueUnknown(db: StateDb, runId: string, which: ResendUnknown, at: string): number {
  if (which === 'none') return 0;
  if (which === 'all')
    return db
      .prepare("UPDATE messages SET state = 'planned', updated_at = ? WHERE run_id = ? AND state = 'unknown'")
      .run(at, runId).changes;
  const unknown = new Set(unknownOutcomes(db, runId).map((m) => m.did));
  const notUnknown = which.filter((did) => !unknown.has(did));
  if (notUnknown.length > 0)
    throw new UsageError(
      `Not an unknown-outcome message of run ${runId}: ${notUnknown.slice(0, 10).join(', ')}. \`status --run ${runId}\` lists the ones that are; nothing was sent.`,
      'resend_unknown_did',
    );
  const requeue = db.prepare(
    "UPDATE messages SET state = 'planned', updated_at = ? WHERE run_id = ? AND did = ? AND state = 'unknown'",
  );
  return which.reduce((n, did) => n + requeue.run(at, runId, did).changes, 0);
}

export function reconcileBeforeSend(
  db: StateDb,
  run: { id: string; report_date: string },
  options: { resendUnknown: ResendUnknown; actor: string },
  now: Date,
): { orphaned: OrphanedMessage[]; requeuedUnknown: number } {
  const at = now.toISOString();
  return db
    .transaction(() => {
      const orphaned = db
        .prepare(
          "SELECT did, message_id, to_masked, attempts FROM messages WHERE report_date = ? AND state = 'sending'",
        )
        .all(run.report_date) as OrphanedMessage[];
      db.prepare(
        "UPDATE messages SET state = 'unknown', last_error = 'sender stopped mid-send', updated_at = ? WHERE report_date = ? AND state = 'sending'",
      ).run(at, run.report_date);
      const requeuedUnknown = requeueUnknown(db, run.id, options.resendUnknown, at);
      if (requeuedUnknown > 0) {
        const dids = options.resendUnknown === 'all' ? 'all' : options.resendUnknown;
        const detail = { messages: requeuedUnknown, dids };
        audit(
          db,
          {
            actor: options.actor,
            action: 'unknown_resend_requested',
            runId: run.id,
            reportDate: run.report_date,
            detail,
          },
          now,
        );
      }
      db.prepare(
        "UPDATE messages SET state = 'planned', attempts = 0, updated_at = ? WHERE run_id = ? AND state = 'failed' AND failure_kind = 'temporary'",
      ).run(at, run.id);
      return { orphaned, requeuedUnknown };
    })
    .immediate();
}
