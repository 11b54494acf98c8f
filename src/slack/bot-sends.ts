/**
 * The bot's sends: Approve, Resume, Resend-unknown, and the automatic resume of approved runs
 * that a restart or crash left unfinished. All take the one live-send path (sendApprovedRun).
 * The send starts first; Slack is told best-effort, with a bounded wait, and the persistent
 * sync queue (slack-sync.ts) catches up whatever Slack missed: an outage never holds up a send.
 */
import { ConfigError, JobRefusedError, UsageError } from '../errors.js';
import { preflightLiveSend, sendApprovedRun } from '../sending/live-send.js';
import { assertSendable } from '../sending/sendable.js';
import { audit } from '../storage/audit.js';
import { holderIsGone, lockHolder, sendLockName } from '../storage/locks.js';
import { type RunRow, unfinishedApprovedRuns } from '../storage/runs.js';
import type { ResendUnknown } from '../storage/send-ledger.js';
import type { BotCore } from './bot-core.js';

/** Longest a send waits for one Slack call around it before carrying on without it. */
export const SLACK_CALL_BUDGET_MS = 10_000;

export interface SendRequest {
  run: RunRow;
  actor: string;
  resendUnknown: ResendUnknown;
  /** Shown while sending: "resumed after a restart". */
  note?: string;
}

/** A run that should be sending but cannot be resumed by the bot, and why. */
export interface NotResumed {
  run: RunRow;
  reason: string;
}

export class BotSends {
  /** Runs this process is sending now: a second start (a click racing a health check) is a no-op. */
  private readonly active = new Set<string>();

  constructor(
    private readonly bot: BotCore,
    /** Called when a send ends, however it ended (the Slack sync posts the result). */
    private readonly onSendEnded: () => void,
  ) {}

  isSending(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Starts the send in the background; false if this process is already sending the run. */
  start(request: SendRequest): boolean {
    if (this.active.has(request.run.id)) return false;
    this.active.add(request.run.id);
    void this.bot.background(`send ${request.run.id}`, () =>
      this.send(request).finally(() => this.active.delete(request.run.id)),
    );
    return true;
  }

  /**
   * Resumes every approved run left unfinished by a restart, a crash or a shutdown, when nobody
   * else is sending it and SEND_DEADLINE has not passed. Returns the ones it could not resume.
   */
  resumeUnfinished(): NotResumed[] {
    const { db, config } = this.bot;
    const now = this.bot.now();
    const notResumed: NotResumed[] = [];
    for (const run of unfinishedApprovedRuns(db)) {
      if (this.active.has(run.id)) continue;
      const holder = lockHolder(db, sendLockName(run.report_date));
      if (holder !== undefined && !holderIsGone(holder, now)) continue;
      try {
        preflightLiveSend(config, run.report_date, now);
        // Settings that no longer match the preview (MAIL_FROM, MAIL_REDIRECT_TO) are a person's
        // call: an alert once a day, not a failed attempt at every health check.
        assertSendable(run, config);
      } catch (error) {
        notResumed.push({ run, reason: (error as Error).message });
        continue;
      }
      audit(db, { actor: 'bot', action: 'send_resumed', runId: run.id, reportDate: run.report_date }, now);
      this.bot.logger.info({ run_id: run.id }, 'resuming an approved run left unfinished');
      this.start({ run, actor: 'bot:auto-resume', resendUnknown: 'none', note: 'resumed after a restart' });
    }
    return notResumed;
  }

  private async send(request: SendRequest): Promise<void> {
    const { bot } = this;
    const { run } = request;
    const note = request.note;
    // Not awaited: the send must not wait on Slack.
    void bot.tellSlack(run.id, note ? { kind: 'starting', note } : undefined);
    try {
      const result = await sendApprovedRun(
        { db: bot.db, config: bot.config, logger: bot.logger, now: bot.now, signal: bot.signal },
        {
          runId: run.id,
          reportDate: run.report_date,
          actor: request.actor,
          resendUnknown: request.resendUnknown,
          progress: {
            everyMs: bot.progressIntervalMs,
            report: (p) => bot.tellSlack(run.id, { kind: 'sending', progress: p, ...(note ? { note } : {}) }),
          },
        },
      );
      bot.logger.info({ run_id: run.id, outcome: result.outcome, counts: result.counts }, 'send from the bot ended');
    } catch (error) {
      const known = error instanceof UsageError || error instanceof JobRefusedError || error instanceof ConfigError;
      const message = known ? error.message : `unexpected error: ${(error as Error).message}`;
      bot.logger.error({ run_id: run.id, error: (error as Error).message }, 'send from the bot failed');
      void bot.tellSlack(run.id, { kind: 'error', message });
      return;
    }
    // The result at once (bounded: also on the way to a shutdown), then the failure thread; the
    // send queued both, so the sync posts (and retries) whatever Slack did not take now.
    await bot.tellSlack(run.id);
    this.onSendEnded();
  }
}
