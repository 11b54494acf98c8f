/** Text and JSON renderings of send-daily's result: a dry-run plan, a live send, or a declined one. */
import { ExitCode } from '../src/errors.js';
import type { PlanSummary } from '../src/planning/plan.js';
import type { SendResult } from '../src/sending/types.js';

const byCount = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');

export function stagingBanner(redirectTo: string | null): string[] {
  return redirectTo === null
    ? []
    : [`*** STAGING: every message goes to ${redirectTo}, not to participants (MAIL_REDIRECT_TO). ***`];
}

/** Messages that could not be rendered: their participants are blocked, the rest go ahead. */
/** Participants blocked while their message was rendered (a crash, impossible data, an empty field). */
const RENDER_CODES = new Set(['render_failed', 'impossible_data', 'template_field_empty']);
const renderFailures = (plan: PlanSummary) => plan.findings.filter((f) => RENDER_CODES.has(f.code));

/** What blocks the whole run (at most five; validate-participants lists them all). */
const runErrors = (plan: PlanSummary) =>
  plan.findings.filter((f) => f.severity === 'error' && f.scope === 'run').slice(0, 5);

/** "SEND_DEADLINE 21:00 Europe/London on 2026-11-24" when the day can no longer be sent. */
export function planText(plan: PlanSummary, pastDeadline?: string): string {
  const failed = renderFailures(plan);
  return [
    ...stagingBanner(plan.redirectTo),
    `DRY RUN for ${plan.reportDate}: nothing was sent.`,
    `  To send:    ${plan.counts.toSend}`,
    `  Skipped:    ${plan.counts.skipped}${plan.counts.skipped > 0 ? ` (${byCount(plan.skippedByReason)})` : ''}`,
    `  Blocked:    ${plan.counts.blocked}${plan.counts.blocked > 0 ? ` (${byCount(plan.blockedByCode)})` : ''}`,
    `  Validation: ${plan.validation.errors} error(s), ${plan.validation.warnings} warning(s)${plan.validation.errors + plan.validation.warnings > 0 ? ' (details: npx mail-updater validate-participants)' : ''}`,
    ...failed.slice(0, 10).map((f) => `  Not rendered: ${f.message}`),
    ...(failed.length > 10 ? [`  ... and ${failed.length - 10} more not rendered (use --json for all)`] : []),
    `  Batch hash: ${plan.batchHash}`,
    `  Run:        ${plan.runId}${plan.templateChanged ? ' (template changed since the last send)' : ''}`,
    `  Preview:    ${plan.outboxDir}/ (one .eml per message); log: send_log.jsonl`,
    ...(plan.state === 'blocked'
      ? [
          ...runErrors(plan).map((f) => `  Error: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`),
          'The run is BLOCKED by validation errors and cannot be sent. Fix them and run the dry run again.',
        ]
      : []),
    ...(plan.mailFromSet
      ? []
      : ['Note: MAIL_FROM is not set, so the previews have a placeholder sender; set it before the live send.']),
    ...(pastDeadline !== undefined
      ? [
          `It is past ${pastDeadline}: the updates for ${plan.reportDate} can no longer be sent. This dry run is a preview only; the next day's run covers the next day.`,
        ]
      : plan.state === 'planned' && plan.counts.toSend > 0
        ? [`Next: review the previews, then send with: npx mail-updater send-daily --date ${plan.reportDate}`]
        : []),
  ].join('\n');
}

export function planJson(plan: PlanSummary): unknown {
  return {
    mode: 'dry_run',
    run_id: plan.runId,
    report_date: plan.reportDate,
    state: plan.state,
    batch_hash: plan.batchHash,
    template_hash: plan.templateHash,
    template_changed: plan.templateChanged,
    counts: {
      participants: plan.counts.participants,
      to_send: plan.counts.toSend,
      skipped: plan.counts.skipped,
      blocked: plan.counts.blocked,
    },
    skipped_by_reason: plan.skippedByReason,
    blocked_by_code: plan.blockedByCode,
    validation: plan.validation,
    render_failures: renderFailures(plan).map((f) => ({ did: f.did, row: f.row, message: f.message })),
    staging_redirect_to: plan.redirectTo,
    mail_from_set: plan.mailFromSet,
    outbox: plan.outboxDir,
    expires_at: plan.expiresAt,
  };
}

export function sendText(result: SendResult): string {
  const c = result.counts;
  const lines = [
    ...stagingBanner(result.redirectTo),
    `Send for ${result.reportDate} (run ${result.runId}, batch ${result.batchHash.slice(0, 12)}): ${result.outcome.toUpperCase()}.`,
    `  Sent:    ${c.sent} (${result.sentNow} in this pass)`,
    `  Failed:  ${c.failed}`,
    `  Unknown: ${c.unknown}${c.unknown > 0 ? ' (the connection broke after the message was handed over; not re-sent automatically)' : ''}`,
    `  Pending: ${c.planned}`,
    `  Skipped: ${c.skipped}; blocked: ${c.blocked}`,
  ];
  if (result.pauseReason !== undefined) lines.push(`Paused: ${result.pauseReason}`);
  for (const f of result.failures.slice(0, 20))
    lines.push(`  FAILED ${f.did} after ${f.attempts} attempt(s): ${f.error}`);
  if (result.failures.length > 20)
    lines.push(`  ... and ${result.failures.length - 20} more failures (npx mail-updater status --json)`);
  if (result.unknownDids.length > 0) {
    lines.push(
      `  Outcome unknown for: ${result.unknownDids.slice(0, 20).join(', ')}${result.unknownDids.length > 20 ? ', ...' : ''}`,
    );
    lines.push("  Check the relay's logs; to send them again anyway: npx mail-updater send-daily --resend-unknown");
  }
  return lines.join('\n');
}

export function sendJson(result: SendResult): unknown {
  return {
    mode: 'live',
    run_id: result.runId,
    report_date: result.reportDate,
    batch_hash: result.batchHash,
    outcome: result.outcome,
    pause_reason: result.pauseReason ?? null,
    counts: result.counts,
    sent_this_pass: result.sentNow,
    failures: result.failures,
    unknown_dids: result.unknownDids,
    staging_redirect_to: result.redirectTo,
  };
}

export type SendDailyResult =
  | { mode: 'dry_run'; plan: PlanSummary; pastDeadline?: string }
  | { mode: 'live'; plan: PlanSummary | undefined; declined: true }
  | { mode: 'live'; plan: PlanSummary | undefined; declined: false; result: SendResult };

export function sendDailyExitCode(data: SendDailyResult): ExitCode {
  if (data.mode === 'dry_run') {
    const { plan } = data;
    const problems = plan.state === 'blocked' || plan.counts.blocked > 0 || plan.validation.errors > 0;
    return problems ? ExitCode.problemsFound : ExitCode.ok;
  }
  if (data.declined) return ExitCode.problemsFound;
  const { outcome, counts } = data.result;
  const clean = outcome === 'done' && counts.failed === 0 && counts.unknown === 0 && counts.blocked === 0;
  return clean ? ExitCode.ok : ExitCode.problemsFound;
}

export function sendDailyText(data: SendDailyResult): string {
  if (data.mode === 'dry_run') return planText(data.plan, data.pastDeadline);
  const preface = data.plan === undefined ? '' : `${planText(data.plan)}\n\n`;
  return `${preface}${data.declined ? 'Nothing sent.' : sendText(data.result)}`;
}

export function sendDailyJson(data: SendDailyResult): unknown {
  if (data.mode === 'dry_run')
    return { ...(planJson(data.plan) as object), past_send_deadline: data.pastDeadline !== undefined };
  return data.declined ? { mode: 'live', outcome: 'declined' } : sendJson(data.result);
}
