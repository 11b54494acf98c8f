import { type CommandContext, defineCommand } from '../src/command.js';
import { UsageError } from '../src/errors.js';
import { type PlanSummary, planRun } from '../src/planning/plan.js';
import { sendDeadlinePassed } from '../src/sending/deadline.js';
import { preflightLiveSend, sendApprovedRun } from '../src/sending/live-send.js';
import { assertSendable } from '../src/sending/sendable.js';
import { recordApproval } from '../src/storage/approvals.js';
import { messageCounts, retryableFailures } from '../src/storage/messages.js';
import { currentRun, getRun, type RunRow } from '../src/storage/runs.js';
import type { ResendUnknown } from '../src/storage/send-ledger.js';
import type { StateDb } from '../src/storage/state-db.js';
import { addDays } from '../src/util/dates.js';
import { ensureDefaultFixture } from './default-fixture.js';
import { dateFlag, jsonFlag, noPositionals, reportDateOption } from './options.js';
import { pruneForRetention } from './retention.js';
import {
  planText,
  type SendDailyResult,
  sendDailyExitCode,
  sendDailyJson,
  sendDailyText,
} from './send-daily-render.js';

interface SendDailyOptions {
  reportDate: string;
  /** Given: continue exactly this run (its date wins); otherwise the newest run of reportDate. */
  runId?: string;
  dryRun: boolean;
  yes: boolean;
  resendUnknown: ResendUnknown;
}

/** The run to send: the one named by --run, or the newest of the day (planned now if there is none). */
async function runToSend(ctx: CommandContext, options: SendDailyOptions): Promise<{ run: RunRow; plan?: PlanSummary }> {
  const db = ctx.stateDb();
  if (options.runId !== undefined) {
    const run = getRun(db, options.runId);
    if (run === undefined)
      throw new UsageError(`There is no run ${options.runId}. \`status --json\` lists the recent runs and their IDs.`);
    return { run };
  }
  const run = currentRun(db, options.reportDate);
  if (run !== undefined) return { run };
  const plan = await planRun(
    { db, config: ctx.config, logger: ctx.logger, now: ctx.now },
    options.reportDate,
    ctx.actor,
  );
  const planned = currentRun(db, options.reportDate);
  if (planned === undefined) throw new UsageError(`No run could be prepared for ${options.reportDate}.`);
  return { run: planned, plan };
}

function messagesToSend(db: StateDb, run: RunRow, resendUnknown: ResendUnknown): number {
  const counts = messageCounts(db, run.id);
  const unknown = resendUnknown === 'all' ? counts.unknown : resendUnknown === 'none' ? 0 : resendUnknown.length;
  return counts.planned + retryableFailures(db, run.id) + unknown;
}

async function liveSend(ctx: CommandContext, options: SendDailyOptions): Promise<SendDailyResult> {
  const db = ctx.stateDb();
  if (options.runId === undefined) preflightLiveSend(ctx.config, options.reportDate, ctx.now());
  const { run, plan } = await runToSend(ctx, options);
  preflightLiveSend(ctx.config, run.report_date, ctx.now());
  assertSendable(run, ctx.config);
  const toSend = messagesToSend(db, run, options.resendUnknown);
  const preface = plan === undefined ? '' : `${planText(plan)}\n\n`;
  const question = `${preface}Send ${toSend} message(s) for ${run.report_date} (run ${run.id}, batch ${run.batch_hash.slice(0, 12)})${run.redirect_to ? ` to the TEST inbox ${run.redirect_to}` : ' to participants'}?`;
  if (toSend > 0 && !options.yes) {
    if (ctx.confirm === undefined)
      throw new UsageError('send-daily sends real e-mail: confirm with --yes when not running on a terminal.');
    if (!(await ctx.confirm(question))) return { mode: 'live', plan, declined: true };
  }
  if (run.state === 'planned') recordApproval(db, run, ctx.actor, ctx.now());
  const report = ctx.progress;
  const result = await sendApprovedRun(
    { db, config: ctx.config, logger: ctx.logger, now: ctx.now, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    {
      runId: run.id,
      reportDate: run.report_date,
      actor: ctx.actor,
      resendUnknown: options.resendUnknown,
      ...(report
        ? {
            progress: {
              everyMs: 1000,
              immediate: true,
              final: true,
              report: (p) =>
                report(`sent ${p.sent} of ${p.total} (failed ${p.failed}, unknown ${p.unknown}, pending ${p.pending})`),
            },
          }
        : {}),
    },
  );
  return { mode: 'live', plan, declined: false, result };
}

/** `--resend-unknown` alone: all of them; `--resend-unknown D1,D2`: those DIDs only. */
function resendUnknownOption(value: string | boolean | undefined): ResendUnknown {
  if (value === undefined || value === false) return 'none';
  if (value === true || value === ALL_UNKNOWN) return 'all';
  const dids = [...new Set(value.split(',').map((d) => d.trim()))].filter((d) => d !== '');
  if (dids.length === 0)
    throw new UsageError('--resend-unknown takes a comma-separated list of DIDs, or nothing (all).');
  return dids;
}

const ALL_UNKNOWN = '\u0000all';

/** Seconds between "rendered N of M" lines: 100,000 messages in batches of 200 made 500 lines in a log. */
const RENDER_PROGRESS_EVERY_MS = 2000;

/** The first batch, then at most one line every two seconds, and always the last. */
function renderProgress(ctx: CommandContext): (done: number, total: number) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (done, total) => {
    const now = performance.now();
    if (done < total && now - last < RENDER_PROGRESS_EVERY_MS) return;
    last = now;
    ctx.progress?.(`rendered ${done} of ${total}`);
  };
}

export const sendDaily = defineCommand<SendDailyOptions, SendDailyResult>({
  name: 'send-daily',
  summary: 'Preview (--dry-run) or send the daily compliance e-mails for a report date.',
  usage: 'send-daily [--dry-run] [--date YYYY-MM-DD | --run ID] [--json] [--yes] [--resend-unknown [DID,…]]',
  slash: '/mail-dry-run',
  flags: {
    'dry-run': { type: 'boolean', description: 'render every message to outbox/dry-run/<D>/ and send nothing' },
    date: dateFlag,
    json: jsonFlag,
    yes: { type: 'boolean', description: 'send without asking (required when not on a terminal)' },
    run: { type: 'string', description: 'continue this run (an approved or paused one; see `status`)' },
    'resend-unknown': {
      type: 'string',
      valueWhenBare: ALL_UNKNOWN,
      description:
        'also send messages whose earlier outcome is unknown: all of them, or only the listed DIDs (check the relay log first)',
    },
  },
  parse(flags, positionals, ctx) {
    noPositionals(positionals, 1);
    if (typeof flags.run === 'string' && flags['dry-run'] === true)
      throw new UsageError('--run continues an existing run; a dry run always makes a new one. Use one or the other.');
    return {
      reportDate: reportDateOption(flags, positionals, ctx),
      dryRun: flags['dry-run'] === true,
      yes: flags.yes === true,
      resendUnknown: resendUnknownOption(flags['resend-unknown']),
      ...(typeof flags.run === 'string' ? { runId: flags.run } : {}),
    };
  },
  async run(ctx, options) {
    await ensureDefaultFixture(ctx);
    pruneForRetention(ctx, options.reportDate);
    if (!options.dryRun) return liveSend(ctx, options);
    const plan = await planRun(
      {
        db: ctx.stateDb(),
        config: ctx.config,
        logger: ctx.logger,
        now: ctx.now,
        onProgress: renderProgress(ctx),
      },
      options.reportDate,
      ctx.actor,
    );
    // Said in the result, not refused: a preview of a late day is still useful, sending it is not.
    const late = sendDeadlinePassed(ctx.config, options.reportDate, ctx.now());
    const pastDeadline = `SEND_DEADLINE (${ctx.config.SEND_DEADLINE} ${ctx.config.STUDY_TZ} on ${addDays(options.reportDate, 1)})`;
    return { mode: 'dry_run', plan, ...(late ? { pastDeadline } : {}) };
  },
  exitCode: sendDailyExitCode,
  text: sendDailyText,
  json: sendDailyJson,
});
