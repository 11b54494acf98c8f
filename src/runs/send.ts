/**
 * The live send of one run: the planned bytes, verified against their hashes, over a pool of
 * SMTP connections that are each kept busy, with at most one message in flight per connection.
 *
 * Exactly-once rests on three things: the per-day lock (one sender at a time), the atomic claim
 * (planned → sending, with the one_delivery_per_day index behind it) and the rule that a message
 * whose outcome is unknown is never re-sent without an explicit --resend-unknown.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, readFileSync, rmSync } from 'node:fs';
import type { Config } from '../config.js';
import { JobRefusedError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AttemptOutcome } from '../mail/smtp-client.js';
import { ensurePrivateDir } from '../util/fs.js';
import { audit } from './audit.js';
import { envelopeOf } from './eml.js';
import { getRun, messageCounts, messagesInState, type RunRow, type StateCounts } from './ledger.js';
import { acquireLock } from './lock.js';
import { outboxPaths } from './outbox.js';
import { SendLog, type SendLogEntry } from './send-log.js';
import type { StateDb } from './state-db.js';
import { WorkQueue, type QueuedMessage } from './work-queue.js';

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

/** A delivered message whose "sent" mark is committed together with the worker's next claim. */
interface SentMark {
  id: number;
  response: string;
  at: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Checks that a run can be sent with the current settings; throws with the fix when not. */
export function assertSendable(run: RunRow, config: Config): void {
  if (run.state === 'blocked') throw new JobRefusedError(`The run ${run.id} for ${run.report_date} is blocked by validation errors; fix them and run \`send-daily --dry-run\` again.`, 'run_blocked');
  if (run.state === 'rejected') throw new JobRefusedError(`The run ${run.id} for ${run.report_date} was rejected by ${run.decided_by ?? 'an approver'}${run.decision_reason ? ` ("${run.decision_reason}")` : ''}. Prepare a new batch with \`send-daily --dry-run\`.`, 'run_rejected');
  if (run.state === 'superseded') throw new JobRefusedError(`The run ${run.id} was superseded by a newer dry run (${run.superseded_by}).`, 'run_superseded');
  if (run.mail_from === null) throw new UsageError(`The run ${run.id} was previewed without MAIL_FROM, so its messages have no real sender. Set MAIL_FROM and run \`send-daily --dry-run\` again.`, 'run_without_from');
  if (run.mail_from !== config.MAIL_FROM) throw new UsageError(`MAIL_FROM changed since the run ${run.id} was previewed. Run \`send-daily --dry-run\` again so the preview shows the new sender.`, 'run_from_changed');
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
  const sendLog = new SendLog(config.OUTBOX_DIR);
  const at = (): string => deps.now().toISOString();
  const logLine = (m: Pick<QueuedMessage, 'did' | 'message_id' | 'to_masked'>, fields: Pick<SendLogEntry, 'status' | 'attempt'> & Partial<SendLogEntry>): void =>
    sendLog.append({ ts: at(), run_id: run.id, report_date: run.report_date, did: m.did, dry_run: false, message_id: m.message_id, to_masked: m.to_masked, template_hash: run.template_hash, ...fields });

  const lock = acquireLock(db, sendLockName(run.report_date), deps.now);
  try {
    // Another process may have superseded or finished the run while we waited for the lock.
    assertSendable(getRun(db, run.id) ?? run, config);
    reconcileBeforeSend(db, run, options, deps.now(), (m) => logLine({ ...m, message_id: m.message_id ?? '' }, { status: 'unknown', attempt: m.attempts, error: 'outcome unknown: the previous sender stopped while this message was in flight; not re-sent (use --resend-unknown)' }));
    db.prepare("UPDATE runs SET state = 'sending' WHERE id = ?").run(run.id);
    audit(db, { actor: options.actor, action: 'send_started', runId: run.id, reportDate: run.report_date, batchHash: run.batch_hash }, deps.now());

    const engine = new SendEngine(deps, run, lock.owner, logLine, log);
    const { outcome, pauseReason, sentNow } = await engine.start();

    const counts = messageCounts(db, run.id);
    const finalState = outcome === 'done' ? 'done' : 'paused';
    db.prepare(`UPDATE runs SET state = ?, finished_at = ? WHERE id = ?`).run(finalState, outcome === 'done' ? at() : null, run.id);
    audit(db, { actor: options.actor, action: outcome === 'done' ? 'send_finished' : 'send_paused', runId: run.id, reportDate: run.report_date, batchHash: run.batch_hash, detail: { counts, ...(pauseReason ? { reason: pauseReason } : {}) } }, deps.now());
    log.info({ counts, outcome }, 'send finished');
    return {
      runId: run.id,
      reportDate: run.report_date,
      batchHash: run.batch_hash,
      outcome,
      ...(pauseReason === undefined ? {} : { pauseReason }),
      counts,
      sentNow,
      failures: messagesInState(db, run.id, ['failed']).map((m) => ({ did: m.did, error: m.last_error ?? '', attempts: m.attempts, kind: m.failure_kind ?? '' })),
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
function reconcileBeforeSend(db: StateDb, run: RunRow, options: SendOptions, now: Date, onUnknown: (m: { did: string; message_id: string | null; to_masked: string | null; attempts: number }) => void): void {
  db.transaction(() => {
    const orphaned = db.prepare("SELECT did, message_id, to_masked, attempts FROM messages WHERE report_date = ? AND state = 'sending'").all(run.report_date) as { did: string; message_id: string | null; to_masked: string | null; attempts: number }[];
    db.prepare("UPDATE messages SET state = 'unknown', last_error = 'sender stopped mid-send', updated_at = ? WHERE report_date = ? AND state = 'sending'").run(now.toISOString(), run.report_date);
    orphaned.forEach(onUnknown);
    if (options.resendUnknown) {
      const changed = db.prepare("UPDATE messages SET state = 'planned', updated_at = ? WHERE run_id = ? AND state = 'unknown'").run(now.toISOString(), run.id).changes;
      if (changed > 0) audit(db, { actor: options.actor, action: 'unknown_resend_requested', runId: run.id, reportDate: run.report_date, detail: { messages: changed } }, now);
    }
    db.prepare("UPDATE messages SET state = 'planned', attempts = 0, updated_at = ? WHERE run_id = ? AND state = 'failed' AND failure_kind = 'temporary'").run(now.toISOString(), run.id);
  }).immediate();
}

class SendEngine {
  private readonly queue: WorkQueue;
  private readonly paths;
  private consecutiveFailures = 0;
  private stopReason: string | undefined;
  private interrupted = false;
  private sentNow = 0;
  private sentDirReady = false;
  private nextSlot = 0;
  private readonly progress: SendProgress;
  private readonly claim;
  private readonly markSent;
  private readonly markFailed;
  private readonly markUnknown;
  private readonly release;

  constructor(
    private readonly deps: SendDeps,
    private readonly run: RunRow,
    private readonly owner: string,
    private readonly logLine: (m: QueuedMessage, fields: Pick<SendLogEntry, 'status' | 'attempt'> & Partial<SendLogEntry>) => void,
    private readonly log: Logger,
  ) {
    const { db } = deps;
    this.queue = new WorkQueue(db, run.id);
    this.paths = outboxPaths(deps.config.OUTBOX_DIR, run.report_date);
    this.claim = db.prepare("UPDATE messages SET state = 'sending', attempts = attempts + 1, owner = ?, updated_at = ? WHERE id = ? AND state = 'planned'");
    this.markSent = db.prepare("UPDATE messages SET state = 'sent', smtp_response = ?, last_error = NULL, updated_at = ? WHERE id = ?");
    this.markFailed = db.prepare("UPDATE messages SET state = ?, failure_kind = ?, last_error = ?, updated_at = ? WHERE id = ?");
    this.markUnknown = db.prepare("UPDATE messages SET state = 'unknown', last_error = ?, updated_at = ? WHERE id = ?");
    this.release = db.prepare("UPDATE messages SET state = 'planned', attempts = attempts - 1, updated_at = ? WHERE id = ?");
    const counts = messageCounts(db, run.id);
    this.progress = { total: counts.planned + counts.sent + counts.failed + counts.unknown, sent: counts.sent, failed: counts.failed, unknown: counts.unknown, pending: counts.planned };
  }

  async start(): Promise<{ outcome: SendResult['outcome']; pauseReason?: string; sentNow: number }> {
    const workers = Math.max(1, Math.min(this.deps.config.SMTP_MAX_CONNECTIONS, this.progress.pending));
    const onAbort = (): void => {
      this.interrupted = true;
    };
    this.deps.signal?.addEventListener('abort', onAbort);
    if (this.deps.signal?.aborted) this.interrupted = true;
    try {
      await Promise.all(Array.from({ length: workers }, () => this.worker()));
    } finally {
      this.deps.signal?.removeEventListener('abort', onAbort);
    }
    this.deps.onProgress?.({ ...this.progress });
    if (this.stopReason !== undefined) return { outcome: 'paused', pauseReason: this.stopReason, sentNow: this.sentNow };
    if (this.interrupted) return { outcome: 'interrupted', pauseReason: 'interrupted (signal); run send-daily again to continue', sentNow: this.sentNow };
    return { outcome: 'done', sentNow: this.sentNow };
  }

  private get stopping(): boolean {
    return this.interrupted || this.stopReason !== undefined;
  }

  private async worker(): Promise<void> {
    const transport = this.deps.openTransport();
    let unrecorded: SentMark | undefined;
    try {
      while (!this.stopping) {
        const next = this.queue.next(Date.now());
        if ('done' in next) return;
        if ('waitMs' in next) {
          unrecorded = this.recordSent(unrecorded);
          await sleep(Math.min(next.waitMs, 250));
          continue;
        }
        try {
          unrecorded = await this.sendOne(transport, next.message, unrecorded);
        } finally {
          this.queue.finished();
        }
      }
    } finally {
      this.recordSent(unrecorded);
      transport.close();
    }
  }

  /** Writes a deferred "sent" mark now; returns undefined so callers can clear their copy. */
  private recordSent(mark: SentMark | undefined): undefined {
    if (mark !== undefined) this.markSent.run(mark.response, mark.at, mark.id);
    return undefined;
  }

  private async rateLimit(): Promise<void> {
    const rate = this.deps.config.SMTP_RATE_PER_SECOND;
    if (rate <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / rate;
    if (slot > now) await sleep(slot - now);
  }

  private pause(reason: string): void {
    if (this.stopReason === undefined) {
      this.stopReason = reason;
      this.log.warn({ reason }, 'send paused');
    }
  }

  /**
   * Sends one message. The previous message's "sent" mark, if still unrecorded, is committed in
   * the same transaction as this message's claim: one commit per message instead of two, and
   * the claim still reaches the disk before a byte is sent.
   */
  private async sendOne(transport: MessageTransport, message: QueuedMessage, previous: SentMark | undefined): Promise<SentMark | undefined> {
    const { db } = this.deps;
    const bytes = this.loadVerified(message);
    const envelope = bytes === undefined ? undefined : envelopeOf(bytes);
    if (bytes === undefined) return this.recordSent(previous);
    if (envelope === undefined) {
      this.pause(`the stored message for ${message.did} has no From/To header; run send-daily --dry-run again`);
      return this.recordSent(previous);
    }
    if (this.deps.config.SMTP_RATE_PER_SECOND > 0) {
      this.recordSent(previous);
      previous = undefined;
      await this.rateLimit();
    }
    if (this.stopping) return this.recordSent(previous);
    try {
      const claimed = db.transaction(() => {
        this.recordSent(previous);
        return this.claim.run(this.owner, this.deps.now().toISOString(), message.id).changes === 1;
      })();
      if (!claimed) return undefined;
    } catch (error) {
      // one_delivery_per_day: another run of this day already reached this participant.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        this.recordSent(previous);
        db.prepare("UPDATE messages SET state = 'skipped', reason = 'already_sent', updated_at = ? WHERE id = ?").run(this.deps.now().toISOString(), message.id);
        return undefined;
      }
      throw error;
    }
    const attempt = message.attempts + 1;
    const outcome = await transport.send(envelope, bytes);
    const now = this.deps.now().toISOString();
    if (outcome.kind === 'sent') {
      this.consecutiveFailures = 0;
      this.sentNow++;
      this.bump('sent');
      this.logLine(message, { status: 'sent', attempt, smtp_response: outcome.response });
      this.archive(message.did);
      return { id: message.id, response: outcome.response, at: now };
    }
    if (outcome.kind === 'fatal') {
      // Nothing was sent: the message goes back to planned, untouched, and the run pauses.
      this.release.run(now, message.id);
      this.pause(`SMTP refused the connection settings (${outcome.error}). Check SMTP_USER, SMTP_PASS and SMTP_SECURE, then run send-daily again.`);
      return undefined;
    }
    this.noteFailure(outcome.error);
    if (outcome.kind === 'unknown') {
      this.markUnknown.run(outcome.error, now, message.id);
      this.bump('unknown');
      this.logLine(message, { status: 'unknown', attempt, error: outcome.error });
      return undefined;
    }
    const maxAttempts = this.deps.config.SEND_MAX_ATTEMPTS;
    if (outcome.kind === 'temporary' && attempt < maxAttempts) {
      this.markFailed.run('planned', 'temporary', outcome.error, now, message.id);
      const delay = this.deps.config.SEND_RETRY_BACKOFF_MS * 2 ** (attempt - 1);
      this.queue.retryLater({ ...message, attempts: attempt }, Date.now() + delay);
      this.log.info({ did: message.did, attempt, error: outcome.error, retry_in_ms: delay }, 'temporary failure, will retry');
      return undefined;
    }
    this.markFailed.run('failed', outcome.kind, outcome.error, now, message.id);
    this.bump('failed');
    this.logLine(message, { status: 'failed', attempt, error: outcome.error });
    audit(db, { actor: 'system', action: 'message_failed', runId: this.run.id, reportDate: this.run.report_date, detail: { did: message.did, attempts: attempt, error: outcome.error } }, this.deps.now());
    return undefined;
  }

  private noteFailure(error: string): void {
    this.consecutiveFailures++;
    const limit = this.deps.config.SEND_PAUSE_AFTER_FAILURES;
    if (this.consecutiveFailures >= limit) this.pause(`${this.consecutiveFailures} attempts in a row failed (last: ${error}). Fix the cause, then run send-daily again to continue.`);
  }

  private bump(kind: 'sent' | 'failed' | 'unknown'): void {
    this.progress[kind]++;
    this.progress.pending--;
    this.deps.onProgress?.({ ...this.progress });
  }

  /** The previewed bytes, or undefined (and the run paused) if they are gone or changed. */
  private loadVerified(message: QueuedMessage): Buffer | undefined {
    const path = this.paths.dryRunFile(message.did);
    let bytes: Buffer;
    try {
      // Synchronous on purpose: a few-kB local read is cheaper than a thread-pool round trip.
      bytes = readFileSync(path);
    } catch {
      this.pause(`the previewed message ${path} is missing. Run send-daily --dry-run again and approve the new batch.`);
      return undefined;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== message.sha256) {
      this.pause(`the previewed message ${path} changed since it was previewed (hash differs). Run send-daily --dry-run again and approve the new batch.`);
      return undefined;
    }
    return bytes;
  }

  /**
   * The sent copy is a hard link to the verified preview (previews are never modified in place,
   * a new dry run writes a new folder), so archiving costs one directory entry, not a copy.
   */
  private archive(did: string): void {
    const target = this.paths.sentFile(did);
    try {
      if (!this.sentDirReady) {
        ensurePrivateDir(this.paths.sentDir);
        this.sentDirReady = true;
      }
      try {
        linkSync(this.paths.dryRunFile(did), target);
      } catch (error) {
        // EEXIST: a copy from an earlier, superseded run of the day; EXDEV/EPERM: no hard links.
        rmSync(target, { force: true });
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') linkSync(this.paths.dryRunFile(did), target);
        else copyFileSync(this.paths.dryRunFile(did), target);
      }
    } catch (error) {
      // The message is sent and recorded; a missing archive copy must not stop the run.
      this.log.warn({ did, error: (error as Error).message }, 'could not archive the sent message');
    }
  }
}
