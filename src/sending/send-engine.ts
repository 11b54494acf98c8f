/**
 * The worker pool of one live send: N connections, each kept busy with one message in flight,
 * fed from the ledger a page at a time; retries with back-off, pause after repeated failures,
 * progress, archiving. The ledger transitions it makes are the ones described in send.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../logger.js';
import { outboxPaths } from '../outbox/paths.js';
import { audit } from '../storage/audit.js';
import { messageCounts } from '../storage/messages.js';
import type { RunRow } from '../storage/runs.js';
import { SendLedger } from '../storage/send-ledger.js';
import { ensurePrivateDir } from '../util/fs.js';
import { createArchiver } from './archive.js';
import { ClaimBatcher, type SentMark } from './claim-batcher.js';
import { envelopeOf, wireBytes } from './eml.js';
import type { LogLine, MessageTransport, SendDeps, SendProgress, SendResult } from './types.js';
import { type QueuedMessage, WorkQueue } from './work-queue.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SendEngine {
  private readonly queue: WorkQueue;
  private readonly paths;
  private consecutiveFailures = 0;
  private stopReason: string | undefined;
  private interrupted = false;
  private sentNow = 0;
  private sentDirReady = false;
  private readonly archiver = createArchiver();
  private nextSlot = 0;
  private readonly progress: SendProgress;
  private readonly batcher: ClaimBatcher;
  private readonly ledger: SendLedger;

  constructor(
    private readonly deps: SendDeps,
    private readonly run: RunRow,
    owner: string,
    private readonly logLine: LogLine,
    private readonly log: Logger,
  ) {
    this.ledger = new SendLedger(deps.db);
    this.queue = new WorkQueue(this.ledger, run.id);
    this.paths = outboxPaths(deps.config.OUTBOX_DIR, run.report_date);
    this.batcher = new ClaimBatcher(this.ledger, owner, deps.now);
    const counts = messageCounts(deps.db, run.id);
    this.progress = {
      total: counts.planned + counts.sent + counts.failed + counts.unknown,
      sent: counts.sent,
      failed: counts.failed,
      unknown: counts.unknown,
      pending: counts.planned,
    };
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
      // The messages are sent and recorded; a missing archive copy must not fail the run.
      for (const failure of await this.archiver.finish()) this.log.warn(failure, 'could not archive the sent message');
    }
    this.deps.onProgress?.({ ...this.progress });
    if (this.stopReason !== undefined)
      return { outcome: 'paused', pauseReason: this.stopReason, sentNow: this.sentNow };
    if (this.interrupted)
      return {
        outcome: 'interrupted',
        pauseReason: 'interrupted (signal); run send-daily again to continue',
        sentNow: this.sentNow,
      };
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
    this.batcher.recordNow(mark);
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
   * the same transaction as this message's claim (and those of the other connections ready at
   * the same moment): fewer commits per message, and the claim still reaches the disk before a
   * byte is sent.
   */
  private async sendOne(
    transport: MessageTransport,
    message: QueuedMessage,
    previous: SentMark | undefined,
  ): Promise<SentMark | undefined> {
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
    // The previous "sent" mark and this claim go into the next group commit, with the other
    // connections' (claim-batcher.ts); the claim is on disk before anything is sent.
    if ((await this.batcher.submit(previous, message.id)) !== 'claimed') return undefined;
    const attempt = message.attempts + 1;
    const outcome = await transport.send(envelope, wireBytes(bytes));
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
      this.ledger.releaseClaim(message.id, now);
      this.pause(
        `SMTP refused the connection settings (${outcome.error}). Check SMTP_USER, SMTP_PASS and SMTP_SECURE, then run send-daily again.`,
      );
      return undefined;
    }
    this.noteFailure(outcome.error);
    if (outcome.kind === 'unknown') {
      this.ledger.markUnknown(message.id, outcome.error, now);
      this.bump('unknown');
      this.logLine(message, { status: 'unknown', attempt, error: outcome.error });
      return undefined;
    }
    const maxAttempts = this.deps.config.SEND_MAX_ATTEMPTS;
    if (outcome.kind === 'temporary' && attempt < maxAttempts) {
      this.ledger.markFailed(message.id, 'planned', 'temporary', outcome.error, now);
      const delay = this.deps.config.SEND_RETRY_BACKOFF_MS * 2 ** (attempt - 1);
      this.queue.retryLater({ ...message, attempts: attempt }, Date.now() + delay);
      this.log.info(
        { did: message.did, attempt, error: outcome.error, retry_in_ms: delay },
        'temporary failure, will retry',
      );
      return undefined;
    }
    this.ledger.markFailed(message.id, 'failed', outcome.kind, outcome.error, now);
    this.bump('failed');
    this.logLine(message, { status: 'failed', attempt, error: outcome.error });
    audit(
      db,
      {
        actor: 'system',
        action: 'message_failed',
        runId: this.run.id,
        reportDate: this.run.report_date,
        detail: { did: message.did, attempts: attempt, error: outcome.error },
      },
      this.deps.now(),
    );
    return undefined;
  }

  private noteFailure(error: string): void {
    this.consecutiveFailures++;
    const limit = this.deps.config.SEND_PAUSE_AFTER_FAILURES;
    if (this.consecutiveFailures >= limit)
      this.pause(
        `${this.consecutiveFailures} attempts in a row failed (last: ${error}). Fix the cause, then run send-daily again to continue.`,
      );
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
      this.pause(
        `the previewed message ${path} changed since it was previewed (hash differs). Run send-daily --dry-run again and approve the new batch.`,
      );
      return undefined;
    }
    return bytes;
  }

  private archive(did: string): void {
    if (!this.sentDirReady) {
      ensurePrivateDir(this.paths.sentDir);
      this.sentDirReady = true;
    }
    this.archiver.add(this.paths.dryRunFile(did), this.paths.sentFile(did));
  }
}
