/**
 * The live send of one run: the planned bytes, verified against their hashes, over a pool of
 * SMTP connections that are each kept busy, with at most one message in flight per connection.
 *
 * Exactly-once rests on three things: the per-day lock (one sender at a time), the atomic claim
 * (planned → sending, with the one_delivery_per_day index behind it) and the rule that a message
 * whose outcome is unknown is never re-sent without an explicit --resend-unknown.
 */
import type { Config } from '../config.js';
import { JobRefusedError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AttemptOutcome } from '../mail/smtp-client.js';
import { SendLog, type SendLogEntry } from '../outbox/send-log.js';
import { audit } from '../storage/audit.js';
import { getRun, messageCounts, messagesInState, type RunRow, type StateCounts } from '../storage/ledger.js';
import { acquireLock } from '../storage/locks.js';
import type { StateDb } from '../storage/state-db.js';
import { SendEngine } from './send-engine.js';

export const sendLockName = (reportDate: string): string => `send:${reportDate}`;

export interface MessageTransport {
  send(envelope: { from: string; to: string }, message: Buffer): Promise<AttemptOutcome>;
  close(): void;
}

export interface SendProgress {
  total: number;
  sent: number;
  failed: number;
  unknown: number;
  pending: number;
}

export interface SendDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  openTransport: () => MessageTransport;
  onProgress?: (progress: SendProgress) => void;
  signal?: AbortSignal;
}

export interface SendOptions {
  actor: string;
  resendUnknown: boolean;
}

export interface FailureReport {
  did: string;
  error: string;
  attempts: number;
  kind: string;
}

export interface SendResult {
  runId: string;
  reportDate: string;
  batchHash: string;
  outcome: 'done' | 'paused' | 'interrupted';
  pauseReason?: string;
  counts: StateCounts;
  sentNow: number;
  failures: FailureReport[];
  unknownDids: string[];
  redirectTo: string | null;
}

/** What a send_log line says about the message it is about. */
export type LoggedMessage = { did: string; message_id: string | null; to_masked: string | null };

/** Checks that a run can be sent with the current settings; throws with the fix when not. */
export function assertSendable(run: RunRow, config: Config): void {
  if (run.state === 'blocked')
    throw new JobRefusedError(
      `The run ${run.id} for ${run.report_date} is blocked by validation errors; fix them and run \`send-daily --dry-run\` again.`,
      'run_blocked',
    );
  if (run.state === 'rejected')
    throw new JobRefusedError(
      `The run ${run.id} for ${run.report_date} was rejected by ${run.decided_by ?? 'an approver'}${run.decision_reason ? ` ("${run.decision_reason}")` : ''}. Prepare a new batch with \`send-daily --dry-run\`.`,
      'run_rejected',
    );
  if (run.state === 'superseded')
    throw new JobRefusedError(
      `The run ${run.id} was superseded by a newer dry run (${run.superseded_by}).`,
      'run_superseded',
    );
  if (run.mail_from === null)
    throw new UsageError(
      `The run ${run.id} was previewed without MAIL_FROM, so its messages have no real sender. Set MAIL_FROM and run \`send-daily --dry-run\` again.`,
      'run_without_from',
    );
  if (run.mail_from !== config.MAIL_FROM)
    throw new UsageError(
      `MAIL_FROM changed since the run ${run.id} was previewed. Run \`send-daily --dry-run\` again so the preview shows the new sender.`,
      'run_from_changed',
    );
  if ((run.redirect_to ?? undefined) !== config.MAIL_REDIRECT_TO) {
    throw new UsageError(
      `MAIL_REDIRECT_TO is ${config.MAIL_REDIRECT_TO ? `"${config.MAIL_REDIRECT_TO}"` : 'unset'} now but was ${run.redirect_to ? `"${run.redirect_to}"` : 'unset'} when the run ${run.id} was previewed. Run \`send-daily --dry-run\` again with the setting you mean.`,
      'run_redirect_changed',
    );
  }
}

export async function sendRun(deps: SendDeps, runId: string, options: SendOptions): Promise<SendResult> {
  const { db, config } = deps;
  const run = getRun(db, runId);
  if (run === undefined) throw new UsageError(`There is no run ${runId}.`, 'run_missing');
  assertSendable(run, config);
  const log = deps.logger.child({ component: 'send', run_id: run.id, report_date: run.report_date });
  const at = (): string => deps.now().toISOString();
  const lock = acquireLock(db, sendLockName(run.report_date), deps.now);
  const sendLog = new SendLog(config.OUTBOX_DIR);
  const logLine = (m: LoggedMessage, fields: Pick<SendLogEntry, 'status' | 'attempt'> & Partial<SendLogEntry>): void =>
    sendLog.append({
      ts: at(),
      run_id: run.id,
      report_date: run.report_date,
      did: m.did,
      dry_run: false,
      message_id: m.message_id,
      to_masked: m.to_masked,
      template_hash: run.template_hash,
      ...fields,
    });
  try {
    // Another process may have superseded or finished the run while we waited for the lock.
    assertSendable(getRun(db, run.id) ?? run, config);
    reconcileBeforeSend(db, run, options, deps.now(), (m) =>
      logLine(m, {
        status: 'unknown',
        attempt: m.attempts,
        error:
          'outcome unknown: the previous sender stopped while this message was in flight; not re-sent (use --resend-unknown)',
      }),
    );
    db.prepare("UPDATE runs SET state = 'sending' WHERE id = ?").run(run.id);
    audit(
      db,
      {
        actor: options.actor,
        action: 'send_started',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
      },
      deps.now(),
    );

    const engine = new SendEngine(deps, run, lock.owner, logLine, log);
    const { outcome, pauseReason, sentNow } = await engine.start();

    const counts = messageCounts(db, run.id);
    const finalState = outcome === 'done' ? 'done' : 'paused';
    db.prepare(`UPDATE runs SET state = ?, finished_at = ? WHERE id = ?`).run(
      finalState,
      outcome === 'done' ? at() : null,
      run.id,
    );
    audit(
      db,
      {
        actor: options.actor,
        action: outcome === 'done' ? 'send_finished' : 'send_paused',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
        detail: { counts, ...(pauseReason ? { reason: pauseReason } : {}) },
      },
      deps.now(),
    );
    log.info({ counts, outcome }, 'send finished');
    return {
      runId: run.id,
      reportDate: run.report_date,
      batchHash: run.batch_hash,
      outcome,
      ...(pauseReason === undefined ? {} : { pauseReason }),
      counts,
      sentNow,
      failures: messagesInState(db, run.id, ['failed']).map((m) => ({
        did: m.did,
        error: m.last_error ?? '',
        attempts: m.attempts,
        kind: m.failure_kind ?? '',
      })),
      unknownDids: messagesInState(db, run.id, ['unknown']).map((m) => m.did),
      redirectTo: run.redirect_to,
    };
  } finally {
    lock.release();
    sendLog.close();
  }
}

/**
 * Under the lock, before sending: anything still "sending" belonged to a sender that died, so
 * its outcome is unknown; unknowns go back to planned only on request; temporary failures from
 * an earlier pass are retried (they are known not to have been delivered).
 */
function reconcileBeforeSend(
  db: StateDb,
  run: RunRow,
  options: SendOptions,
  now: Date,
  onUnknown: (m: { did: string; message_id: string | null; to_masked: string | null; attempts: number }) => void,
): void {
  db.transaction(() => {
    const orphaned = db
      .prepare("SELECT did, message_id, to_masked, attempts FROM messages WHERE report_date = ? AND state = 'sending'")
      .all(run.report_date) as { did: string; message_id: string | null; to_masked: string | null; attempts: number }[];
    db.prepare(
      "UPDATE messages SET state = 'unknown', last_error = 'sender stopped mid-send', updated_at = ? WHERE report_date = ? AND state = 'sending'",
    ).run(now.toISOString(), run.report_date);
    orphaned.forEach(onUnknown);
    if (options.resendUnknown) {
      const changed = db
        .prepare("UPDATE messages SET state = 'planned', updated_at = ? WHERE run_id = ? AND state = 'unknown'")
        .run(now.toISOString(), run.id).changes;
      if (changed > 0)
        audit(
          db,
          {
            actor: options.actor,
            action: 'unknown_resend_requested',
            runId: run.id,
            reportDate: run.report_date,
            detail: { messages: changed },
          },
          now,
        );
    }
    db.prepare(
      "UPDATE messages SET state = 'planned', attempts = 0, updated_at = ? WHERE run_id = ? AND state = 'failed' AND failure_kind = 'temporary'",
    ).run(now.toISOString(), run.id);
  }).immediate();
}
