import type { CheckResult } from '../src/bounces/check.js';
import { defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { jsonFlag, noPositionals } from './options.js';

export function checkBouncesText(r: CheckResult): string {
  const reasons = Object.entries(r.notOursByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    `${r.dryRun ? 'DRY RUN (nothing recorded, nothing flagged): ' : ''}${r.read} new message(s) in ${r.mailbox}.`,
    `  hard bounces: ${r.hardBounces}, soft bounces: ${r.softBounces}, opt-outs: ${r.optOuts}, auto-replies: ${r.autoReplies}, already recorded: ${r.duplicates}`,
    `  not ours (left unread): ${r.notOurs}${reasons === '' ? '' : ` (${reasons})`}`,
    ...r.events
      .filter((e) => e.kind === 'hard_bounce' || e.kind === 'opt_out')
      .map((e) =>
        e.kind === 'opt_out'
          ? `  ${e.did} asked to stop the daily e-mails. This is not a withdrawal from the study: follow up.`
          : `  ${e.did}: bounced (${'status' in e ? (e.status ?? 'no status') : 'no status'}); not e-mailed until the roster's address changes.`,
      ),
  ].join('\n');
}

export const checkBouncesCommand = defineCommand({
  name: 'check-bounces',
  summary: 'Read new messages in the bounce mailbox; record bounces and opt-outs.',
  usage: 'check-bounces [--dry-run] [--json]',
  slash: '/mail-bounces',
  flags: {
    'dry-run': { type: 'boolean', description: 'classify and report; record and flag nothing' },
    json: jsonFlag,
  },
  parse: (flags, positionals) => {
    noPositionals(positionals);
    return { dryRun: flags['dry-run'] === true };
  },
  async run(ctx, options) {
    // Loaded here, not at the top: the IMAP client and the MIME parser take about a tenth of a
    // second to load, which every other command would pay at start-up.
    const [{ checkBounces }, { openBounceMailbox }] = await Promise.all([
      import('../src/bounces/check.js'),
      import('../src/bounces/imap-mailbox.js'),
    ]);
    return checkBounces(
      {
        db: ctx.stateDb(),
        config: ctx.config,
        logger: ctx.logger,
        now: ctx.now,
        actor: ctx.actor,
        openMailbox: (maxBytes) => openBounceMailbox(ctx.config, maxBytes),
      },
      options,
    );
  },
  exitCode: () => ExitCode.ok,
  text: checkBouncesText,
  json: (r) => ({
    dry_run: r.dryRun,
    mailbox: r.mailbox,
    read: r.read,
    hard_bounces: r.hardBounces,
    soft_bounces: r.softBounces,
    opt_outs: r.optOuts,
    auto_replies: r.autoReplies,
    duplicates: r.duplicates,
    not_ours: r.notOurs,
    not_ours_by_reason: r.notOursByReason,
    events: r.events,
  }),
});
