/**
 * The worker pool of one live send: N connections, each kept busy with one message in flight,
 * fed from the ledger a page at a time; retries with back-off, pause after repeated failures,
 * progress, archiving. The ledger transitions it makes are the ones described in send.ts.
 *
 * When a connection fails hard (an exception, e.g. send_log.jsonl cannot be written), the others
 * stop taking new messages, the messages in flight finish and are recorded, and only then does
 * start() reject: the per-day lock is never released while a connection is still sending.
 */
import type { Logger } from '../logger.js';
import type { AttemptOutcome } from '../mail/smtp-client.js';
import { audit } from '../storage/audit.js';
import { messageCounts } from '../storage/messages.js';
import type { RunRow } from '../storage/runs.js';
import { SendLedger } from '../storage/send-ledger.js';
import { maskAddressesInText } from '../util/mask.js';
import { ClaimBatcher, type SentMark } from './claim-batcher.js';
import { envelopeOf, wireBytes } from './eml.js';
import { Pacer } from './pacing.js';
import { Previews } from './previews.js';
import { StopSignal } from './stop-signal.js';
import type { EngineResult, LogLine, MessageTransport, SendDeps, SendProgress } from './types.js';
import { type QueuedMessage, WorkQueue } from './work-queue.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SendEngine {
  private readonly queue: WorkQueue;
  private readonly previews: Previews;
  private readonly stop: StopSignal;
  private sentNow = 0;
  private readonly pacer: Pacer;
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
    this.stop = new StopSignal(log, deps.config.SEND_PAUSE_AFTER_FAILURES);
    this.queue = new WorkQueue(this.ledger, run.id);
    this.previews = new Previews(deps.config.OUTBOX_DIR, run.report_date, deps.now);
    this.batcher = new ClaimBatcher(this.ledger, owner, deps.now);
    const counts = messageCounts(deps.db, run.id);
    this.progress = {
      total: counts.planned + counts.sent + counts.failed + counts.unknown,
      sent: counts.sent,
      failed: counts.failed,
      unknown: counts.unknown,
      pending: counts.planned,
    };
    this.pacer = new Pacer(deps.config, Math.max(1, Math.min(deps.config.SMTP_MAX_CONNECTIONS, counts.planned)));
  }

  async start(): Promise<EngineResult> {
    const workers = this.pacer.connections;
    const onAbort = (): void => {
      this.stop.interrupted = true;
    };
    this.deps.signal?.addEventListener('abort', onAbort);
    if (this.deps.signal?.aborted) this.stop.interrupted = true;
    try {
      // Workers never reject (worker() keeps the first hard error): all of them have stopped here.
      await Promise.all(Array.from({ length: workers }, (_, index) => this.worker(index)));
    } finally {
      this.deps.signal?.removeEventListener('abort', onAbort);
      // The messages are sent and recorded; a missing archive copy must not fail the run.
      for (const failure of await this.previews.finish()) this.log.warn(failure, 'could not archive the sent message');
    }
    if (this.stop.hardError !== undefined) throw this.stop.hardError.error;
    this.deps.onProgress?.({ ...this.progress });
    if (this.stop.pauseReason !== undefined)
      return {
        outcome: 'paused',
        pauseReason: this.stop.pauseReason,
        relayProblem: this.stop.relayProblem,
        sentNow: this.sentNow,
      };
    if (this.stop.interrupted)
      return {
        outcome: 'interrupted',
        pauseReason: 'interrupted (signal); run send-daily again to continue',
        sentNow: this.sentNow,
      };
    return { outcome: 'done', sentNow: this.sentNow };
  }

  private async worker(index: number): Promise<void> {
    const transport = this.deps.openTransport();
    let unrecorded: SentMark | undefined;
    try {
      // A rate limit lowers pacer.connections: the connections above it finish and close.
      while (!this.stop.stopping && index < this.pacer.connections) {
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
    } catch (error) {
      this.stop.failedHard(error);
      this.log.error({ error: (error as Error).message }, 'a connection failed hard; stopping the others');
    } finally {
      try {
        this.recordSent(unrecorded);
      } catch (error) {
        this.stop.failedHard(error);
      }
      transport.close();
    }
  }

  /** Writes a deferred "sent" mark now; returns undefined so callers can clear their copy. */
  private recordSent(mark: SentMark | undefined): undefined {
    this.batcher.recordNow(mark);
    return undefined;
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
    const preview = this.previews.load(message);
    if ('problem' in preview) {
      this.stop.pause(preview.problem);
      return this.recordSent(previous);
    }
    const bytes = preview.bytes;
    const envelope = envelopeOf(bytes);
    if (envelope === undefined) {
      this.stop.pause(`the stored message for ${message.did} has no From/To header; run send-daily --dry-run again`);
      return this.recordSent(previous);
    }
    if (this.pacer.mayWait) {
      this.recordSent(previous);
      previous = undefined;
      await this.pacer.turn();
    }
    if (this.stop.stopping) return this.recordSent(previous);
    // The previous "sent" mark and this claim go into the next group commit, with the other
    // connections' (claim-batcher.ts); the claim is on disk before anything is sent.
    if ((await this.batcher.submit(previous, message.id)) !== 'claimed') return undefined;
    const attempt = message.attempts + 1;
    let outcome: AttemptOutcome;
    try {
      outcome = await transport.send(envelope, wireBytes(bytes));
    } catch (error) {
      this.threw(message, error);
      throw error;
    }
    const now = this.deps.now().toISOString();
    if (outcome.kind === 'sent') {
      this.stop.accepted();
      this.pacer.accepted();
      this.sentNow++;
      this.bump('sent');
      const mark = { id: message.id, response: outcome.response, at: now };
      try {
        this.logLine(message, { status: 'sent', attempt, smtp_response: outcome.response });
        this.previews.archive(message.did, bytes);
      } catch (error) {
        this.recordSent(mark); // the relay has it: the ledger must say so before anything else
        throw error;
      }
      return mark;
    }
    if (outcome.kind === 'fatal' || outcome.kind === 'throttled') {
      // Not delivered and not the message's fault: back to planned, its attempts untouched.
      this.ledger.releaseClaim(message.id, now);
      if (outcome.kind === 'fatal') this.stop.pause(`SMTP: ${outcome.advice} Then run send-daily again.`, true);
      else this.onRateLimit(message, outcome.error);
      return undefined;
    }
    this.stop.failed(outcome.error);
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

  /** The transport threw: the message may have gone out, so it is recorded as unknown. */
  private threw(message: QueuedMessage, error: unknown): void {
    const reason = `outcome unknown: the send failed unexpectedly (${(error as Error).message}); not re-sent (use --resend-unknown)`;
    this.ledger.markUnknown(message.id, maskAddressesInText(reason).slice(0, 500), this.deps.now().toISOString());
    this.bump('unknown');
  }

  private onRateLimit(message: QueuedMessage, error: string): void {
    const { retryAt, exhausted } = this.pacer.throttled();
    if (exhausted) {
      this.stop.pause(
        `the relay kept asking us to slow down (last: ${error}). Set SMTP_RATE_PER_MINUTE (or SMTP_RATE_PER_SECOND) to the provider's limit and lower SMTP_MAX_CONNECTIONS, then run send-daily again.`,
        true,
      );
      return;
    }
    this.queue.retryLater(message, retryAt);
    this.log.info(
      { did: message.did, error, retry_in_ms: retryAt - Date.now(), connections: this.pacer.connections },
      'rate limited by the relay, slowing down',
    );
  }

  private bump(kind: 'sent' | 'failed' | 'unknown'): void {
    this.progress[kind]++;
    this.progress.pending--;
    this.deps.onProgress?.({ ...this.progress });
  }
}
