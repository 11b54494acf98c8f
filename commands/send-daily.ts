import { type CommandContext, type CommandOutput, defineCommand } from '../src/command.js';
import { requireSendSettings } from '../src/config.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { SmtpClient, smtpSettings } from '../src/mail/smtp-client.js';
import { type PlanSummary, planRun } from '../src/planning/plan.js';
import { assertBeforeDeadline } from '../src/sending/deadline.js';
import { assertSendable, type SendProgress, sendRun } from '../src/sending/send.js';
import { recordApproval } from '../src/storage/approvals.js';
import { currentRun, messageCounts, retryableFailures } from '../src/storage/ledger.js';
import { ensureDefaultFixture } from './default-fixture.js';
import { dateFlag, jsonFlag, noPositionals, reportDateOption } from './options.js';
import { planJson, planText, sendJson, sendText } from './send-daily-render.js';

interface SendDailyOptions {
  reportDate: string;
  dryRun: boolean;
  yes: boolean;
  resendUnknown: boolean;
}

export function planOutput(plan: PlanSummary): CommandOutput {
  const problems = plan.state === 'blocked' || plan.counts.blocked > 0 || plan.validation.errors > 0;
  return { exitCode: problems ? ExitCode.problemsFound : ExitCode.ok, text: planText(plan), json: planJson(plan) };
}

function throttled(report: (line: string) => void, everyMs: number): (p: SendProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < everyMs && p.pending > 0) return;
    last = now;
    report(`sent ${p.sent} of ${p.total} (failed ${p.failed}, unknown ${p.unknown}, pending ${p.pending})`);
  };
}

async function liveSend(ctx: CommandContext, options: SendDailyOptions): Promise<CommandOutput> {
  requireSendSettings(ctx.config);
  const db = ctx.stateDb();
  assertBeforeDeadline(ctx.config, options.reportDate, ctx.now());
  let run = currentRun(db, options.reportDate);
  let preface = '';
  if (run === undefined || run.state === 'rejected') {
    const plan = await planRun(
      { db, config: ctx.config, logger: ctx.logger, now: ctx.now },
      options.reportDate,
      ctx.actor,
    );
    preface = `${planText(plan)}\n\n`;
    run = currentRun(db, options.reportDate);
  }
  if (run === undefined) throw new UsageError(`No run could be prepared for ${options.reportDate}.`);
  assertSendable(run, ctx.config);
  const pending = messageCounts(db, run.id);
  const toSend = pending.planned + retryableFailures(db, run.id) + (options.resendUnknown ? pending.unknown : 0);
  const question = `${preface}Send ${toSend} message(s) for ${run.report_date} (run ${run.id}, batch ${run.batch_hash.slice(0, 12)})${run.redirect_to ? ` to the TEST inbox ${run.redirect_to}` : ' to participants'}?`;
  if (toSend > 0 && !options.yes) {
    if (ctx.confirm === undefined)
      throw new UsageError('send-daily sends real e-mail: confirm with --yes when not running on a terminal.');
    if (!(await ctx.confirm(question)))
      return { exitCode: ExitCode.problemsFound, text: 'Nothing sent.', json: { mode: 'live', outcome: 'declined' } };
  }
  if (run.state === 'planned') recordApproval(db, run, ctx.actor, 'cli', ctx.now());
  const progress = ctx.progress;
  const result = await sendRun(
    {
      db,
      config: ctx.config,
      logger: ctx.logger,
      now: ctx.now,
      openTransport: () => new SmtpClient(smtpSettings(ctx.config)),
      ...(progress ? { onProgress: throttled(progress, 1000) } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
    run.id,
    { actor: ctx.actor, resendUnknown: options.resendUnknown },
  );
  const clean =
    result.outcome === 'done' &&
    result.counts.failed === 0 &&
    result.counts.unknown === 0 &&
    result.counts.blocked === 0;
  return {
    exitCode: clean ? ExitCode.ok : ExitCode.problemsFound,
    text: `${preface}${sendText(result)}`,
    json: sendJson(result),
  };
}

export const sendDaily = defineCommand<SendDailyOptions>({
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
    return planOutput(plan);
  },
});
