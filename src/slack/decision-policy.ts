/**
 * Who may decide on a run, and when: the rules behind Slack's Approve and Reject buttons. Each
 * refusal is a sentence the person who clicked can act on.
 */
import type { Config } from '../config.js';
import { sendDeadlinePassed } from '../sending/deadline.js';
import type { RunRow } from '../storage/runs.js';
import { mentionActor as mention } from './blocks.js';

export type DecisionKind = 'approve' | 'reject';

/** Undefined when `userId` may take this decision on `run` now; otherwise why not. */
export function decisionRefusal(
  config: Config,
  run: RunRow | undefined,
  userId: string,
  kind: DecisionKind,
  now: Date,
): string | undefined {
  const verb = kind === 'approve' ? 'approve' : 'reject';
  if (!config.SLACK_APPROVER_IDS.includes(userId)) {
    return `Sorry, only the study's approvers can ${verb} a send (SLACK_APPROVER_IDS). Ask one of them: ${config.SLACK_APPROVER_IDS.map((id) => `<@${id}>`).join(', ')}.`;
  }
  if (run === undefined)
    return 'This approval request no longer matches a run in the ledger; run `/mail-dry-run` for a fresh one.';
  if (run.state === 'superseded')
    return `This request was superseded by a newer dry run (${run.superseded_by ?? 'unknown'}); decide on the newest request instead.`;
  if (run.state === 'rejected')
    return `This run was already rejected by ${mention(run.decided_by)}${run.decision_reason ? ` ("${run.decision_reason}")` : ''}.`;
  if (run.decided_by !== null)
    return `This run was already approved by ${mention(run.decided_by)} at ${run.decided_at ?? '?'}; it is sent once, whoever clicks.`;
  if (run.state === 'blocked')
    return 'This run is blocked by validation errors and cannot be sent; fix them and run `/mail-dry-run` again.';
  if (run.state !== 'planned') return `This run is ${run.state}; there is nothing to ${verb}.`;
  if (kind === 'reject') return undefined;
  if (Date.parse(run.expires_at) <= now.getTime()) {
    return `This request expired at ${run.expires_at} (APPROVAL_TTL_HOURS=${config.APPROVAL_TTL_HOURS}); run \`/mail-dry-run\` for a fresh preview before sending.`;
  }
  if (sendDeadlinePassed(config, run.report_date, now)) {
    return `It is past SEND_DEADLINE (${config.SEND_DEADLINE} ${config.STUDY_TZ}); ${run.report_date}'s updates are not sent any more.`;
  }
  if (!config.ALLOW_SELF_APPROVAL && run.requested_by === `slack:${userId}`) {
    return 'You asked for this run, so someone else must approve it (set ALLOW_SELF_APPROVAL=true to allow self-approval).';
  }
  return undefined;
}

export type AfterSendKind = 'resume' | 'resend_unknown';

/** Undefined when `userId` may resume a paused run, or resend its unknown messages, now. */
export function afterSendRefusal(
  config: Config,
  run: RunRow | undefined,
  userId: string,
  kind: AfterSendKind,
  now: Date,
  unknownCount: number,
): string | undefined {
  const what = kind === 'resume' ? 'resume a send' : 'resend unknown-outcome messages';
  if (!config.SLACK_APPROVER_IDS.includes(userId))
    return `Sorry, only the study's approvers can ${what} (SLACK_APPROVER_IDS).`;
  if (run === undefined) return 'This request no longer matches a run in the ledger.';
  if (run.decided_by === null || run.state === 'rejected' || run.state === 'superseded')
    return `Run ${run.id} is ${run.state === 'planned' ? 'not approved' : run.state}; only an approved run can be continued.`;
  if (run.state === 'sending') return `Run ${run.id} is sending now; wait for it to finish.`;
  if (kind === 'resume' && run.state !== 'paused') return `Run ${run.id} is ${run.state}, not paused.`;
  if (kind === 'resend_unknown' && unknownCount === 0) return `Run ${run.id} has no unknown-outcome messages.`;
  if (sendDeadlinePassed(config, run.report_date, now))
    return `It is past SEND_DEADLINE (${config.SEND_DEADLINE} ${config.STUDY_TZ}); ${run.report_date}'s updates are not sent any more.`;
  return undefined;
}
