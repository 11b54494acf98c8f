/**
 * The approval request (DESIGN §6): what will be sent for D, and the Approve / Reject buttons.
 * The same builder renders every later state of the message (approved with live progress,
 * finished, rejected, superseded), so an update in place never loses the summary above it.
 */
import type { Config } from '../../config.js';
import { describeFinding } from '../../finding.js';
import type { StoredSummary } from '../../planning/plan.js';
import type { SendProgress } from '../../sending/types.js';
import type { StateCounts } from '../../storage/messages.js';
import type { RunRow } from '../../storage/runs.js';
import { longDate } from '../../util/dates.js';
import {
  addressesMasked,
  type Block,
  clock,
  codeBlock,
  context,
  countsText,
  divider,
  escapeMrkdwn,
  fields,
  header,
  listWithMore,
  mentionActor,
  section,
  withinBlockLimit,
} from '../blocks.js';

export const APPROVE_ACTION = 'approve_run';
export const REJECT_ACTION = 'reject_run';
export const RESUME_ACTION = 'resume_run';
export const RESEND_UNKNOWN_ACTION = 'resend_unknown';

/** What is happening to the run now, beyond what its row says. */
export type RequestProgress =
  | { kind: 'starting'; note: string }
  | { kind: 'sending'; progress: SendProgress; note?: string }
  | { kind: 'finished'; counts: StateCounts; outcome: 'done' | 'paused' | 'interrupted'; pauseReason?: string }
  | { kind: 'error'; message: string };

function byReason(counts: Record<string, number>): string[] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `• ${escapeMrkdwn(reason.replace(/_/g, ' '))}: ${n}`);
}

function summaryBlocks(run: RunRow, summary: StoredSummary, config: Config): Block[] {
  const blocks: Block[] = [header(`Daily update e-mails for ${longDate(run.report_date)}`)];
  if (run.redirect_to !== null) {
    blocks.push(
      section(
        `:rotating_light: *STAGING (MAIL_REDIRECT_TO)*: every message goes to the test inbox ${addressesMasked(run.redirect_to)}, not to participants. Subjects start with [TEST <DID>].`,
      ),
    );
  }
  if (!summary.mailFromSet)
    blocks.push(
      section(
        ':warning: MAIL_FROM was not set when this preview was made, so it cannot be sent. Set it and run `/mail-dry-run` again.',
      ),
    );
  blocks.push(
    fields([
      ['To send', String(summary.counts.toSend)],
      ['Skipped', String(summary.counts.skipped)],
      ['Blocked', String(summary.counts.blocked)],
      ['Participants', String(summary.counts.participants)],
      ['Validation', `${summary.validation.errors} error(s), ${summary.validation.warnings} warning(s)`],
    ]),
  );
  const reasons = [
    ...(summary.counts.skipped > 0 ? ['*Skipped*', ...byReason(summary.skippedByReason)] : []),
    ...(summary.counts.blocked > 0
      ? ['*Blocked* (fix the roster, then run `/mail-dry-run` again)', ...byReason(summary.blockedByCode)]
      : []),
  ];
  if (reasons.length > 0) blocks.push(section(listWithMore(reasons, 30)));
  if (summary.findings.length > 0) {
    const lines = summary.findings.map((f) => `• ${escapeMrkdwn(describeFinding(f))}`);
    const hidden = summary.findingsTotal - summary.findings.length;
    blocks.push(
      section(
        `*Findings*\n${listWithMore(lines, 10)}${hidden > 0 ? `\n…and ${hidden} more (run \`/mail-validate ${run.report_date}\` or \`validate-participants --json\`)` : ''}`,
      ),
    );
  }
  if (summary.templateChanged)
    blocks.push(section(':pencil2: *Template changed since the last send.* Read the preview below before approving.'));
  blocks.push(
    section(
      `*Preview* for a synthetic sample participant\n${codeBlock(`Subject: ${summary.sample.subject}\n\n${summary.sample.text}`, 2500)}`,
    ),
  );
  blocks.push(
    context(
      `Batch \`${run.batch_hash.slice(0, 16)}\` · run \`${run.id}\` · requested by ${mentionActor(run.requested_by)} · expires ${escapeMrkdwn(run.expires_at.slice(0, 16).replace('T', ' '))} UTC · sends before ${config.SEND_DEADLINE} ${config.STUDY_TZ}`,
    ),
  );
  return blocks;
}

function buttons(run: RunRow, summary: StoredSummary): Block {
  const target = run.redirect_to !== null ? 'the TEST inbox' : 'participants';
  return {
    type: 'actions',
    block_id: 'decision',
    elements: [
      {
        type: 'button',
        action_id: APPROVE_ACTION,
        style: 'primary',
        text: { type: 'plain_text', text: `Approve and send ${summary.counts.toSend}` },
        value: run.id,
        confirm: {
          title: { type: 'plain_text', text: 'Send the e-mails?' },
          text: {
            type: 'mrkdwn',
            text: `Send ${summary.counts.toSend} e-mail(s) for ${run.report_date} to ${target}? This cannot be undone.`,
          },
          confirm: { type: 'plain_text', text: `Send ${summary.counts.toSend}` },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        action_id: REJECT_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value: run.id,
      },
    ],
  };
}

function statusBlocks(
  run: RunRow,
  summary: StoredSummary,
  config: Config,
  progress: RequestProgress | undefined,
): Block[] {
  const decidedAt = run.decided_at === null ? '' : ` at ${clock(new Date(run.decided_at), config.STUDY_TZ)}`;
  if (run.state === 'superseded')
    return [
      section(
        `:arrows_counterclockwise: Superseded by a newer dry run (\`${run.superseded_by ?? '?'}\`); nothing from this request will be sent.`,
      ),
    ];
  if (run.state === 'rejected')
    return [
      section(
        `:x: *Rejected* by ${mentionActor(run.decided_by)}${decidedAt}: ${escapeMrkdwn(run.decision_reason ?? '')}`,
      ),
    ];
  if (run.state === 'blocked')
    return [section(':no_entry: *Blocked*: validation errors stop this run. Fix them and run `/mail-dry-run` again.')];
  if (run.decided_by === null) {
    if (summary.counts.toSend === 0) return [section('Nothing to send for this day.')];
    return [buttons(run, summary)];
  }
  const approved = `:white_check_mark: *Approved* by ${mentionActor(run.decided_by)}${decidedAt}`;
  if (progress === undefined) return [section(`${approved}. Starting the send…`)];
  if (progress.kind === 'starting') return [section(`${approved}. Sending (${escapeMrkdwn(progress.note)})…`)];
  if (progress.kind === 'error')
    return [section(`${approved}. :warning: The send did not start: ${escapeMrkdwn(progress.message)}`)];
  if (progress.kind === 'sending') {
    const p = progress.progress;
    return [
      section(
        `${approved}. Sending${progress.note ? ` (${escapeMrkdwn(progress.note)})` : ''}… ${p.sent + p.failed + p.unknown} of ${p.total} done (sent ${p.sent}, failed ${p.failed}, unknown ${p.unknown}).`,
      ),
    ];
  }
  const headline =
    progress.outcome === 'done'
      ? progress.counts.failed + progress.counts.unknown === 0
        ? ':tada: *Finished*'
        : ':warning: *Finished with failures* (see the thread)'
      : progress.outcome === 'paused'
        ? `:double_vertical_bar: *Paused*: ${escapeMrkdwn(progress.pauseReason ?? 'too many failures in a row')}. Fix the cause, then press *Resume* (or run \`npx mail-updater send-daily --run ${run.id} --yes\`); nobody gets a second e-mail.`
        : ':octagonal_sign: *Stopped* (the bot was shut down); it resumes by itself when the bot is back before SEND_DEADLINE. Nothing is sent twice.';
  return [section(`${approved}. ${headline}\n${countsText(progress.counts)}`), ...afterSendButtons(run, progress)];
}

/** Resume (a paused run) and Resend unknown (messages whose outcome the relay never confirmed). */
function afterSendButtons(run: RunRow, progress: Extract<RequestProgress, { kind: 'finished' }>): Block[] {
  const elements: unknown[] = [];
  if (progress.outcome === 'paused')
    elements.push(
      confirmButton(RESUME_ACTION, 'Resume', run.id, {
        title: 'Resume the send?',
        text: `Continue sending run ${run.id} for ${run.report_date}? Only messages not yet sent go out; do this once the cause of the pause is fixed.`,
        confirm: 'Resume',
      }),
    );
  if (progress.counts.unknown > 0)
    elements.push(
      confirmButton(RESEND_UNKNOWN_ACTION, `Resend unknown (${progress.counts.unknown})…`, run.id, {
        title: 'Resend unknown?',
        text: 'Choose which unknown-outcome messages to send again. Check the relay log for their Message-IDs first (`status`): one that was delivered would arrive twice.',
        confirm: 'Choose',
      }),
    );
  return elements.length === 0 ? [] : [{ type: 'actions', block_id: 'after_send', elements } as Block];
}

function confirmButton(
  actionId: string,
  label: string,
  value: string,
  confirm: { title: string; text: string; confirm: string },
): unknown {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label },
    value,
    confirm: {
      title: { type: 'plain_text', text: confirm.title },
      text: { type: 'mrkdwn', text: confirm.text },
      confirm: { type: 'plain_text', text: confirm.confirm },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  };
}

export function approvalBlocks(run: RunRow, config: Config, progress?: RequestProgress): Block[] {
  const summary = JSON.parse(run.summary_json) as StoredSummary;
  return withinBlockLimit([
    ...summaryBlocks(run, summary, config),
    divider(),
    ...statusBlocks(run, summary, config, progress),
  ]);
}

/** The notification text (what a phone shows); never the only content. */
export function approvalFallbackText(run: RunRow): string {
  const summary = JSON.parse(run.summary_json) as StoredSummary;
  return `Daily update e-mails for ${run.report_date}: ${summary.counts.toSend} to send, ${summary.counts.skipped} skipped, ${summary.counts.blocked} blocked${run.redirect_to !== null ? ' (STAGING)' : ''}.`;
}
