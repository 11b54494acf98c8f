/**
 * Drains slack_sync_queue: brings each queued run's approval request up to date from the ledger
 * and threads its new failures. Every sender queues its run (the CLI too), so a send started in
 * a shell, or during a Slack outage, still reaches the channel once the bot and Slack are there.
 * An entry stays queued until Slack has accepted the update; failures back off up to 15 minutes.
 * Each drain then posts the bounce and opt-out notices not posted yet (notices.ts): they are
 * found in the stored state, whoever recorded them.
 */
import { lockHolder, sendLockName } from '../storage/locks.js';
import { getRun } from '../storage/runs.js';
import { completeSlackSync, deferSlackSync, dueSlackSyncs, type SlackSyncEntry } from '../storage/slack-sync.js';
import { within } from '../util/within.js';
import type { BotCore } from './bot-core.js';
import { threadFailures } from './failure-thread.js';
import { postPendingNotices } from './notices.js';

export interface SlackSyncTiming {
  /** How often the queue is looked at; also the first retry delay (doubling up to 15 min). */
  pollMs: number;
  /** Longest one run's update may take before it is deferred. */
  budgetMs: number;
}

const DEFAULT_TIMING: SlackSyncTiming = { pollMs: 15_000, budgetMs: 60_000 };
const MAX_BACKOFF_MS = 15 * 60_000;

export class SlackSync {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  /** After a failed notices pass: not before this (ms since epoch), backing off like the queue. */
  private noticesRetryAt = 0;
  private noticesFailures = 0;

  private readonly timing: SlackSyncTiming;

  constructor(
    private readonly bot: BotCore,
    /** Whether this process is sending the run (its own progress reports keep the request current). */
    private readonly sendingHere: (runId: string) => boolean,
    timing: Partial<SlackSyncTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.timing.pollMs);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Drains now (or right after the drain in progress); never throws. */
  kick(): void {
    if (this.draining !== undefined) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => this.bot.logger.warn({ error: (error as Error).message }, 'Slack sync failed'))
      .finally(() => {
        this.draining = undefined;
        if (this.again && !this.bot.stopping) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (const entry of dueSlackSyncs(this.bot.db, this.bot.now())) {
      if (this.bot.stopping) return;
      await this.syncOne(entry);
    }
    await this.postNotices();
  }

  /** Bounces, opt-outs and bounce-rate alerts not yet told; a Slack error backs off, nothing is lost. */
  private async postNotices(): Promise<void> {
    const { bot } = this;
    const now = bot.now().getTime();
    if (bot.stopping || now < this.noticesRetryAt) return;
    try {
      // Not raced against a timer: a pass left running behind a timeout could post a reply twice.
      await postPendingNotices(bot);
      this.noticesFailures = 0;
      this.noticesRetryAt = 0;
    } catch (error) {
      const delay = Math.min(MAX_BACKOFF_MS, this.timing.pollMs * 2 ** this.noticesFailures);
      this.noticesFailures++;
      this.noticesRetryAt = now + delay;
      bot.logger.warn({ error: (error as Error).message }, 'bounce and opt-out notices deferred');
    }
  }

  private async syncOne(entry: SlackSyncEntry): Promise<void> {
    const { bot } = this;
    const run = getRun(bot.db, entry.run_id);
    if (run === undefined) return completeSlackSync(bot.db, entry);
    // This process's own send shows its progress itself (throttled); the sync takes over at the end.
    if (run.state === 'sending' && this.sendingHere(run.id))
      return deferSlackSync(bot.db, entry, new Date(bot.now().getTime() + this.timing.pollMs), null);
    try {
      await within(
        (async () => {
          await bot.refreshRequest(run.id);
          if (run.state !== 'sending') await threadFailures(bot.poster, bot.db, run, bot.config.STUDY_TZ);
        })(),
        this.timing.budgetMs,
        'updating Slack',
      );
    } catch (error) {
      const delay = Math.min(MAX_BACKOFF_MS, this.timing.pollMs * 2 ** entry.attempts);
      deferSlackSync(bot.db, entry, new Date(bot.now().getTime() + delay), (error as Error).message);
      bot.logger.warn({ run_id: run.id, error: (error as Error).message }, 'Slack update deferred');
      return;
    }
    // A send still running elsewhere (a CLI shell) shows its progress at every poll until it ends.
    const sendingElsewhere =
      run.state === 'sending' && !this.sendingHere(run.id) && lockHolder(bot.db, sendLockName(run.report_date));
    if (sendingElsewhere) deferSlackSync(bot.db, entry, new Date(bot.now().getTime() + this.timing.pollMs), null);
    else completeSlackSync(bot.db, entry);
  }
}
