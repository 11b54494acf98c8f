/**
 * What the bot does, independent of how Slack delivered the request: prepare a run and post its
 * approval request, take a decision, send with live progress, thread the failures. Listeners
 * (listeners/*.ts) only translate Slack payloads into these calls and answer within 3 s.
 */

import { sendDaily } from '../../commands/send-daily.js';
import { type CommandContext, execute } from '../command.js';
import type { Config } from '../config.js';
import { requireSendSettings } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { assertSendable } from '../sending/sendable.js';
import { claimDecision, type Decision } from '../storage/approvals.js';
import { fileTicket } from '../storage/failure-replies.js';
import { messageCounts } from '../storage/messages.js';
import { currentRun, getRun, type RunRow, setSlackMessage } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { within } from '../util/within.js';
import type { BotCore } from './bot-core.js';
import { BotSends, SLACK_CALL_BUDGET_MS } from './bot-sends.js';
import { type AfterSendKind, afterSendRefusal, decisionRefusal } from './decision-policy.js';
import type { SlackPoster } from './poster.js';
import { type ClickedOn, clickIsOnFailureReply, clickIsOnRequest } from './provenance.js';
import { SlackSync, type SlackSyncTiming } from './slack-sync.js';
import { approvalBlocks, approvalFallbackText, type RequestProgress } from './views/approval.js';
import { failureReplyBlocks, failureReplyText, type TicketRef } from './views/failures.js';
import { requestProgressFromLedger } from './views/request-progress.js';

export interface StudyBotDeps {
  config: Config;
  logger: Logger;
  db: StateDb;
  poster: SlackPoster;
  now: () => Date;
  /** How often the request shows send progress at most (Slack's chat.update is rate limited). */
  progressIntervalMs?: number;
  /** How often queued Slack updates are retried (slack-sync.ts), and how long one may take. */
  slackSync?: Partial<SlackSyncTiming>;
  /** Longest a send waits on one Slack call around it (default SLACK_CALL_BUDGET_MS). */
  slackCallBudgetMs?: number;
}

export type DecisionOutcome = { ok: true; run: RunRow } | { ok: false; reason: string };

export class StudyBot implements BotCore {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: StateDb;
  readonly poster: SlackPoster;
  readonly now: () => Date;
  readonly sends: BotSends;
  readonly slackSync: SlackSync;
  private readonly jobs = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: StudyBotDeps) {
    this.config = deps.config;
    this.logger = deps.logger.child({ component: 'bot' });
    this.db = deps.db;
    this.poster = deps.poster;
    this.now = deps.now;
    this.sends = new BotSends(this, () => this.slackSync.kick());
    this.slackSync = new SlackSync(this, (runId) => this.sends.isSending(runId), deps.slackSync);
  }

  /** How often the request shows send progress at most (Slack's chat.update is rate limited). */
  get progressIntervalMs(): number {
    return this.deps.progressIntervalMs ?? 3000;
  }

  get signal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** After the app is up: catch Slack up with the ledger, and resume what a restart interrupted. */
  afterStart(): void {
    this.slackSync.start();
    const notResumed = this.sends.resumeUnfinished();
    for (const { run, reason } of notResumed)
      this.logger.warn({ run_id: run.id, reason }, 'approved run left unfinished and not resumed');
  }

  get channel(): string {
    if (this.config.SLACK_CHANNEL_ID === undefined)
      throw new UsageError('SLACK_CHANNEL_ID is not set; set it to the channel where approval requests go.');
    return this.config.SLACK_CHANNEL_ID;
  }

  get stopping(): boolean {
    return this.shutdown.signal.aborted;
  }

  /** A context for running registry commands on behalf of `actor`. */
  context(actor: string): CommandContext {
    return {
      config: this.config,
      logger: this.logger,
      now: this.now,
      actor,
      stateDb: () => this.db,
      signal: this.shutdown.signal,
    };
  }

  /** Runs long work after Slack's 3-second ack; tracked so shutdown can wait for it. Never throws. */
  background(label: string, work: () => Promise<unknown>): Promise<void> {
    const job = work()
      .catch((error: unknown) =>
        this.logger.error(
          { job: label, error: (error as Error).message, stack: (error as Error).stack },
          'background job failed',
        ),
      )
      .then(() => undefined);
    this.jobs.add(job);
    void job.finally(() => this.jobs.delete(job));
    return job;
  }

  /** Stops taking new work, lets sends finish the message in flight, waits for every job. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    this.slackSync.stop();
    await Promise.all([...this.jobs]);
  }

  /** The dry run for D and its approval request in the channel (scheduled or /mail-dry-run). */
  async prepareAndPost(reportDate: string, actor: string): Promise<{ run: RunRow; text: string }> {
    const previous = currentRun(this.db, reportDate);
    const output = await execute(sendDaily, this.context(actor), {
      reportDate,
      dryRun: true,
      yes: false,
      resendUnknown: 'none',
    });
    const run = currentRun(this.db, reportDate);
    if (run === undefined) throw new UsageError(`The dry run for ${reportDate} did not produce a run.`);
    // Rendered before anything is posted: a request in the channel is never left without its reply.
    const { text } = output;
    await this.postRequest(run);
    if (previous !== undefined && previous.id !== run.id) await this.refreshRequest(previous.id);
    return { run: getRun(this.db, run.id)!, text };
  }

  private async postRequest(run: RunRow): Promise<void> {
    const channel = this.channel;
    const ts = await this.poster.post(channel, {
      text: approvalFallbackText(run),
      blocks: approvalBlocks(run, this.config),
    });
    setSlackMessage(this.db, run.id, channel, ts);
  }

  /** Re-renders a run's request from its row (superseded, rejected, finished…). */
  async refreshRequest(runId: string, progress?: RequestProgress): Promise<void> {
    const run = getRun(this.db, runId);
    if (run?.slack_channel == null || run.slack_ts === null) return;
    await this.poster.update(run.slack_channel, run.slack_ts, {
      text: approvalFallbackText(run),
      blocks: approvalBlocks(run, this.config, progress ?? requestProgressFromLedger(this.db, run)),
    });
  }

  /** Best-effort update of the request around a send: bounded, logged, never thrown. */
  async tellSlack(runId: string, progress?: RequestProgress): Promise<void> {
    try {
      await within(
        this.refreshRequest(runId, progress),
        this.deps.slackCallBudgetMs ?? SLACK_CALL_BUDGET_MS,
        'Updating the request in Slack',
      );
    } catch (error) {
      this.logger.warn({ run_id: runId, error: (error as Error).message }, 'request update skipped; queued for later');
    }
  }

  /**
   * Approve: checks, the atomic claim (one winner however many clicks), the request updated at
   * once, then the send in the background. Refusals come back as a reason for an ephemeral reply.
   */
  approve(runId: string, userId: string): DecisionOutcome {
    if (this.stopping)
      return { ok: false, reason: 'The bot is shutting down; approve again in a minute, once it is back.' };
    const outcome = this.decide(runId, userId, { kind: 'approve' });
    if (outcome.ok) this.sends.start({ run: outcome.run, actor: `slack:${userId}`, resendUnknown: 'none' });
    return outcome;
  }

  reject(runId: string, userId: string, reason: string): DecisionOutcome {
    const outcome = this.decide(runId, userId, { kind: 'reject', reason });
    if (outcome.ok) void this.background(`reject ${runId}`, () => this.refreshRequest(runId));
    return outcome;
  }

  /** Why `userId` may not take this decision on `runId` now (undefined: they may). */
  refusal(runId: string, userId: string, kind: Decision['kind']): string | undefined {
    const run = getRun(this.db, runId);
    return (
      decisionRefusal(this.config, run, userId, kind, this.now()) ??
      (kind === 'approve' ? this.sendSettingsProblem(run!) : undefined)
    );
  }

  /** Why `userId` may not resume / resend unknown on `runId` now (undefined: they may). */
  afterSendRefusal(runId: string, userId: string, kind: AfterSendKind): string | undefined {
    const run = getRun(this.db, runId);
    const unknown = run === undefined ? 0 : messageCounts(this.db, run.id).unknown;
    return (
      afterSendRefusal(this.config, run, userId, kind, this.now(), unknown) ??
      (this.sends.isSending(runId) ? 'This run is sending now; wait for it to finish.' : undefined) ??
      this.sendSettingsProblem(run!)
    );
  }

  /** Resume a paused run (the Resume button), on the one send path. */
  resume(runId: string, userId: string): DecisionOutcome {
    const refusal = this.stopping
      ? 'The bot is shutting down; try again in a minute.'
      : this.afterSendRefusal(runId, userId, 'resume');
    if (refusal !== undefined) return { ok: false, reason: refusal };
    const run = getRun(this.db, runId)!;
    this.sends.start({ run, actor: `slack:${userId}`, resendUnknown: 'none', note: `resumed by <@${userId}>` });
    return { ok: true, run };
  }

  /** Send the chosen unknown-outcome messages again (and whatever else is still pending). */
  resendUnknown(runId: string, userId: string, dids: readonly string[]): DecisionOutcome {
    const refusal = this.stopping
      ? 'The bot is shutting down; try again in a minute.'
      : this.afterSendRefusal(runId, userId, 'resend_unknown');
    if (refusal !== undefined) return { ok: false, reason: refusal };
    const run = getRun(this.db, runId)!;
    this.sends.start({ run, actor: `slack:${userId}`, resendUnknown: dids, note: `resending ${dids.length} unknown` });
    return { ok: true, run };
  }

  /** Whether a click came from the run's own approval request, posted by this bot in its channel. */
  isOurRequest(runId: string, where: ClickedOn): boolean {
    return clickIsOnRequest(this.db, this.config, runId, where);
  }

  /** Whether a "Ticket filed" click came from the failure reply the bot posted for it. */
  isOurFailureReply(ref: TicketRef, where: ClickedOn): boolean {
    return clickIsOnFailureReply(this.db, ref, where);
  }

  mayFileTickets(userId: string): boolean {
    return this.config.SLACK_OPERATOR_IDS.includes(userId) || this.config.SLACK_APPROVER_IDS.includes(userId);
  }

  /** Marks a failure reply's ticket as filed and updates the reply; the first filing wins. */
  async fileTicket(ref: TicketRef, userId: string, ticketId: string | null): Promise<void> {
    const filed = fileTicket(this.db, ref.runId, ref.did, userId, ticketId, this.now());
    if (filed === undefined || filed.ts === null) return;
    if (!filed.first) {
      await this.poster.ephemeral(
        filed.channel,
        userId,
        `A ticket for ${ref.did} was already filed by <@${filed.filed.filedBy}>.`,
      );
      return;
    }
    await this.poster.update(filed.channel, filed.ts, {
      text: failureReplyText(filed.message),
      blocks: failureReplyBlocks(filed.message, filed.filed, this.config.STUDY_TZ),
    });
  }

  /** The checks, then the atomic claim; a lost race is explained like any other refusal. */
  private decide(runId: string, userId: string, decision: Decision): DecisionOutcome {
    const refusal = this.refusal(runId, userId, decision.kind);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    const claimed = claimDecision(this.db, runId, `slack:${userId}`, decision, this.now());
    if (claimed !== undefined) return { ok: true, run: claimed };
    return {
      ok: false,
      reason: this.refusal(runId, userId, decision.kind) ?? 'Someone else decided on this run at the same moment.',
    };
  }

  /** The bot's SMTP settings and the run's preview must match before anything is sent. */
  private sendSettingsProblem(run: RunRow): string | undefined {
    try {
      requireSendSettings(this.config);
      assertSendable(run, this.config);
      return undefined;
    } catch (error) {
      return `${(error as Error).message}${error instanceof ConfigError ? ' Then restart the bot.' : ''}`;
    }
  }
}
