import { type CommandContext, defineCommand } from '../src/command.js';
import { UsageError } from '../src/errors.js';
import { type PlanSummary, planRun } from '../src/planning/plan.js';
import { preflightLiveSend, sendApprovedRun } from '../src/sending/live-send.js';
import { assertSendable } from '../src/sending/sendable.js';
import { recordApproval } from '../src/storage/approvals.js';
import { messageCounts, retryableFailures } from '../src/storage/messages.js';
import { currentRun } from '../src/storage/runs.js';
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
  dryRun: boolean;
  yes: boolean;
  resendUnknown: boolean;
}

async function liveSend(ctx: CommandContext, options: SendDailyOptions): Promise<SendDailyResult> {
  preflightLiveSend(ctx.config, options.reportDate, ctx.now());
  const db = ctx.stateDb();
  let run = currentRun(db, options.reportDate);
  let plan: PlanSummary | undefined;
  if (run === undefined || run.state === 'rejected') {
    plan = await planRun({ db, config: ctx.config, logger: ctx.logger, now: ctx.now }, options.reportDate, ctx.actor);
    run = currentRun(db, options.reportDate);
  }
  if (run === undefined) throw new UsageError(`No run could be prepared for ${options.reportDate}.`);
  assertSendable(run, ctx.config);
  const pending = messageCounts(db, run.id);
  const toSend = pending.planned + retryableFailures(db, run.id) + (options.resendUnknown ? pending.unknown : 0);
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

export const sendDaily = defineCommand<SendDailyOptions, SendDailyResult>({
  name: 'send-daily',
  summary: 'Preview (--dry-run) or send the daily compliance e-mails for a report date.',
  usage: 'send-daily [--dry-run] [--date YYYY-MM-DD] [--json] [--yes] [--resend-unknown]',
  slash: '/mail-dry-run',
  flags: {
    'dry-run': { type: 'boolean', description: 'render every message to outbox/dry-run/<D>/ and send nothing' },
    date: dateFlag,
    json: jsonFlag,
    yes: { type: 'boolean', description: 'send without asking (required when not on a terminal)' },
    'resend-unknown': { type: 'boolean', description: 'also send messages whose earlier outcome is unknown' },
  },
  parse(flags, positionals, ctx) {
    noPositionals(positionals, 1);
    return {
      reportDate: reportDateOption(flags, positionals, ctx),
      dryRun: flags['dry-run'] === true,
      yes: flags.yes === true,
      resendUnknown: flags['resend-unknown'] === true,
    };
  },
  async run(ctx, options) {
    ensureDefaultFixture(ctx);
    pruneForRetention(ctx, options.reportDate);
    if (!options.dryRun) return liveSend(ctx, options);
    const plan = await planRun(
      {
        db: ctx.stateDb(),
        config: ctx.config,
        logger: ctx.logger,
        now: ctx.now,
        onProgress: (done, total) => ctx.progress?.(`rendered ${done} of ${total}`),
      },
      options.reportDate,
      ctx.actor,
    );
    return { mode: 'dry_run', plan };
  },
  exitCode: sendDailyExitCode,
  text: sendDailyText,
  json: sendDailyJson,
});
