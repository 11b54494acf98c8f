/**
 * What the bot does, independent of how Slack delivered the request: prepare a run and post its
 * approval request, take a decision, send with live progress, thread the failures. Listeners
 * (listeners/*.ts) only translate Slack payloads into these calls and answer within 3 s.
 */

import { sendDaily } from '../../commands/send-daily.js';
import { type CommandContext, execute } from '../command.js';
import type { Config } from '../config.js';
import { requireSendSettings } from '../config.js';
import { ConfigError, JobRefusedError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { sendApprovedRun } from '../sending/live-send.js';
import { assertSendable } from '../sending/sendable.js';
import { claimDecision, type Decision } from '../storage/approvals.js';
import { fileTicket } from '../storage/failure-replies.js';
import { currentRun, getRun, type RunRow, setSlackMessage } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import { decisionRefusal } from './decision-policy.js';
import { threadFailures } from './failure-thread.js';
import type { SlackPoster } from './poster.js';
import { approvalBlocks, approvalFallbackText, type RequestProgress } from './views/approval.js';
import { failureReplyBlocks, failureReplyText, type TicketRef } from './views/failures.js';

export interface StudyBotDeps {
  config: Config;
  logger: Logger;
  db: StateDb;
  poster: SlackPoster;
  now: () => Date;
  /** How often the request shows send progress at most (Slack's chat.update is rate limited). */
  progressIntervalMs?: number;
}

export type DecisionOutcome = { ok: true; run: RunRow } | { ok: false; reason: string };

export class StudyBot {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: StateDb;
  readonly poster: SlackPoster;
  readonly now: () => Date;
  private readonly jobs = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: StudyBotDeps) {
    this.config = deps.config;
    this.logger = deps.logger.child({ component: 'bot' });
    this.db = deps.db;
    this.poster = deps.poster;
    this.now = deps.now;
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
    await Promise.all([...this.jobs]);
  }

  /** The dry run for D and its approval request in the channel (scheduled or /mail-dry-run). */
  async prepareAndPost(reportDate: string, actor: string): Promise<{ run: RunRow; text: string }> {
    const previous = currentRun(this.db, reportDate);
    const output = await execute(sendDaily, this.context(actor), {
      reportDate,
      dryRun: true,
      yes: false,
      resendUnknown: false,
    });
    const run = currentRun(this.db, reportDate);
    if (run === undefined) throw new UsageError(`The dry run for ${reportDate} did not produce a run.`);
    await this.postRequest(run);
    if (previous !== undefined && previous.id !== run.id) await this.refreshRequest(previous.id);
    return { run: getRun(this.db, run.id)!, text: output.text };
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
      blocks: approvalBlocks(run, this.config, progress),
    });
  }

  /**
   * Approve: checks, the atomic claim (one winner however many clicks), the request updated at
   * once, then the send in the background. Refusals come back as a reason for an ephemeral reply.
   */
  approve(runId: string, userId: string): DecisionOutcome {
    if (this.stopping)
      return { ok: false, reason: 'The bot is shutting down; approve again in a minute, once it is back.' };
    const outcome = this.decide(runId, userId, { kind: 'approve' });
    if (outcome.ok) void this.background(`send ${runId}`, () => this.sendApproved(outcome.run, userId));
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

  private async sendApproved(run: RunRow, userId: string): Promise<void> {
    await this.refreshRequest(run.id);
    try {
      const result = await sendApprovedRun(
        { db: this.db, config: this.config, logger: this.logger, now: this.now, signal: this.shutdown.signal },
        {
          runId: run.id,
          reportDate: run.report_date,
          actor: `slack:${userId}`,
          resendUnknown: false,
          progress: {
            everyMs: this.deps.progressIntervalMs ?? 3000,
            report: (p) => this.refreshRequest(run.id, { kind: 'sending', progress: p }),
          },
        },
      );
      await this.refreshRequest(run.id, {
        kind: 'finished',
        counts: result.counts,
        outcome: result.outcome,
        ...(result.pauseReason ? { pauseReason: result.pauseReason } : {}),
      });
    } catch (error) {
      const message =
        error instanceof UsageError || error instanceof JobRefusedError || error instanceof ConfigError
          ? error.message
          : `unexpected error: ${(error as Error).message}`;
      this.logger.error({ run_id: run.id, error: (error as Error).message }, 'send from Slack failed');
      await this.refreshRequest(run.id, { kind: 'error', message });
    }
    await threadFailures(this.poster, this.db, getRun(this.db, run.id)!, this.config.STUDY_TZ);
  }
}
