import { type CommandContext, defineCommand } from '../src/command.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { type DayOutcome, outcomesByDay } from '../src/storage/bounces.js';
import { readHealth } from '../src/storage/health.js';
import { holderIsGone, lockHolder, sendLockName } from '../src/storage/locks.js';
import { messageCounts, messagesInState, type StateCounts } from '../src/storage/messages.js';
import { currentRun, getRun, type RunRow, recentRuns } from '../src/storage/runs.js';
import { type UnknownOutcome, unknownOutcomes } from '../src/storage/send-ledger.js';
import type { StateDb } from '../src/storage/state-db.js';
import { type OnboardingOverdue, overdueOnboarding } from '../src/validation/onboarding.js';
import { dateFlag, jsonFlag, noPositionals, reportDateOption } from './options.js';
import { ADHERENCE_DAYS, type Adherence, adherence, adherenceLine } from './status-adherence.js';

export interface DayStatus {
  report_date: string;
  run: null | {
    id: string;
    state: string;
    expired: boolean;
    requested_by: string;
    created_at: string;
    batch_hash: string;
    decided_by: string | null;
    decided_at: string | null;
    decision_reason: string | null;
    finished_at: string | null;
    /** Why the run paused (state "paused"): what to fix before Resume. */
    pause_reason: string | null;
    staging_redirect_to: string | null;
    counts: StateCounts;
    failures: { did: string; error: string | null; attempts: number }[];
    unknown_dids: string[];
    /** Each unknown-outcome message with what the relay's log can be searched for. */
    unknown: UnknownOutcome[];
  };
  sending_now: null | { pid: number; host: string; since: string };
  /** The send lock's holder is gone (crashed, killed, host rebooted): nothing is sending. */
  sender_stopped?: null | { pid: number; host: string; since: string };
  smtp: null | { ok: boolean; checked_at: string; detail: unknown };
  last_sync: null | { ok: boolean; at: string; detail: unknown };
  recent_runs: { id: string; report_date: string; state: string; counts: StateCounts }[];
  /** Active participants past ONBOARDING_GRACE_DAYS with no device data; null if it could not be checked. */
  onboarding_overdue?: OnboardingOverdue[] | null;
  /** Per report date (newest first): what became of the messages that went out. */
  outcomes: DayOutcome[];
  /**
   * The last 14 report dates up to this one: who could not be reached next to the survey
   * completion of who was; null when the compliance DB could not be read.
   */
  adherence?: Adherence | null;
}

function adherenceForStatus(ctx: CommandContext, reportDate: string): Adherence | null {
  try {
    return adherence(ctx, reportDate);
  } catch (error) {
    ctx.logger.warn({ error: (error as Error).message }, 'status: adherence could not be read');
    return null;
  }
}

function onboardingForStatus(ctx: CommandContext): OnboardingOverdue[] | null {
  try {
    return overdueOnboarding(ctx.stateDb(), ctx.config, ctx.now(), true);
  } catch (error) {
    ctx.logger.warn({ error: (error as Error).message }, 'status: onboarding check failed');
    return null;
  }
}

function describeRun(db: StateDb, run: RunRow, now: Date): NonNullable<DayStatus['run']> {
  return {
    id: run.id,
    state: run.state,
    expired: run.state === 'planned' && Date.parse(run.expires_at) < now.getTime(),
    requested_by: run.requested_by,
    created_at: run.created_at,
    batch_hash: run.batch_hash,
    decided_by: run.decided_by,
    decided_at: run.decided_at,
    decision_reason: run.decision_reason,
    finished_at: run.finished_at,
    pause_reason: run.state === 'paused' ? run.pause_reason : null,
    staging_redirect_to: run.redirect_to,
    counts: messageCounts(db, run.id),
    failures: messagesInState(db, run.id, ['failed']).map((m) => ({
      did: m.did,
      error: m.last_error,
      attempts: m.attempts,
    })),
    unknown_dids: messagesInState(db, run.id, ['unknown']).map((m) => m.did),
    unknown: unknownOutcomes(db, run.id),
  };
}

export function dayStatus(ctx: Pick<CommandContext, 'stateDb' | 'now'>, reportDate: string, runId?: string): DayStatus {
  const db = ctx.stateDb();
  const named = runId === undefined ? undefined : getRun(db, runId);
  if (runId !== undefined && named === undefined)
    throw new UsageError(`There is no run ${runId}. \`status --json\` lists the recent runs and their IDs.`);
  if (named !== undefined) reportDate = named.report_date;
  const run = named ?? currentRun(db, reportDate);
  const holder = lockHolder(db, sendLockName(reportDate));
  const gone = holder !== undefined && holderIsGone(holder, ctx.now());
  const smtp = readHealth(db, 'smtp');
  return {
    report_date: reportDate,
    run: run === undefined ? null : describeRun(db, run, ctx.now()),
    sending_now:
      holder === undefined || gone ? null : { pid: holder.pid, host: holder.host, since: holder.acquired_at },
    sender_stopped:
      holder === undefined || !gone ? null : { pid: holder.pid, host: holder.host, since: holder.acquired_at },
    smtp: smtp === null ? null : { ok: smtp.ok, checked_at: smtp.at, detail: smtp.detail },
    last_sync: readHealth(db, 'qualtrics_sync'),
    recent_runs: recentRuns(db, 7).map((r) => ({
      id: r.id,
      report_date: r.report_date,
      state: r.state,
      counts: messageCounts(db, r.id),
    })),
    outcomes: outcomesByDay(db, 7),
  };
}

export function statusText(s: DayStatus): string {
  const lines = [`Status for ${s.report_date}`];
  const run = s.run;
  if (run === null) {
    lines.push('  No run yet. Prepare one with: npx mail-updater send-daily --dry-run');
  } else {
    const c = run.counts;
    lines.push(
      `  Run ${run.id}: ${run.state}${run.expired ? ' (approval expired)' : ''}, requested by ${run.requested_by} at ${run.created_at}`,
    );
    if (run.staging_redirect_to) lines.push(`  STAGING: messages go to ${run.staging_redirect_to}`);
    if (run.decided_by)
      lines.push(
        `  Decided by ${run.decided_by} at ${run.decided_at}${run.decision_reason ? `: "${run.decision_reason}"` : ''}`,
      );
    if (run.pause_reason) lines.push(`  Paused: ${run.pause_reason}`);
    lines.push(`  Batch ${run.batch_hash}`);
    lines.push(
      `  sent ${c.sent}, failed ${c.failed}, unknown ${c.unknown}, pending ${c.planned}, sending ${c.sending}, skipped ${c.skipped}, blocked ${c.blocked}`,
    );
    for (const f of run.failures.slice(0, 20))
      lines.push(`  FAILED ${f.did} (${f.attempts} attempt(s)): ${f.error ?? ''}`);
    if (run.failures.length > 20) lines.push(`  ... and ${run.failures.length - 20} more (use --json)`);
    if (run.unknown.length > 0) {
      lines.push(
        `  Outcome unknown for ${run.unknown.length}: search the relay's log for each Message-ID; resend only those it did not deliver with send-daily --run ${run.id} --resend-unknown DID,DID`,
      );
      for (const u of run.unknown.slice(0, 50))
        lines.push(`    ${u.did}  ${u.message_id ?? '(no Message-ID)'}  attempted ${u.attempted_at}`);
      if (run.unknown.length > 50) lines.push(`    ... and ${run.unknown.length - 50} more (use --json)`);
    }
  }
  if (s.sending_now)
    lines.push(`  Sending now: pid ${s.sending_now.pid} on ${s.sending_now.host} since ${s.sending_now.since}`);
  if (s.sender_stopped)
    lines.push(
      `  Sender STOPPED: pid ${s.sender_stopped.pid} on ${s.sender_stopped.host} (since ${s.sender_stopped.since}) is gone; nothing is sending. Resume with: npx mail-updater send-daily${s.run ? ` --run ${s.run.id}` : ''}`,
    );
  lines.push(
    `  SMTP: ${s.smtp === null ? 'never checked (npx mail-updater smtp-check)' : `${s.smtp.ok ? 'OK' : 'FAILING'} at ${s.smtp.checked_at}`}`,
  );
  lines.push(
    `  Last Qualtrics sync: ${s.last_sync === null ? 'never' : `${s.last_sync.ok ? 'OK' : 'FAILED'} at ${s.last_sync.at}`}`,
  );
  if (s.onboarding_overdue && s.onboarding_overdue.length > 0)
    lines.push(
      `  Onboarding: ${s.onboarding_overdue.length} active participant(s) past ONBOARDING_GRACE_DAYS with no device data yet (check their onboarding): ${s.onboarding_overdue
        .slice(0, 10)
        .map((o) => o.did)
        .join(', ')}${s.onboarding_overdue.length > 10 ? ', … (use --json)' : ''}`,
    );
  if (s.recent_runs.length > 0) {
    lines.push('  Recent runs:');
    for (const r of s.recent_runs)
      lines.push(
        `    ${r.report_date} ${r.state.padEnd(10)} sent ${r.counts.sent}, failed ${r.counts.failed}, unknown ${r.counts.unknown} (${r.id})`,
      );
  }
  if (s.outcomes.length > 0) {
    lines.push('  Delivery by day:');
    for (const o of s.outcomes)
      lines.push(
        `    ${o.report_date} delivered ${o.delivered}, bounced ${o.bounced}, soft-bounced ${o.soft_bounced}, unknown ${o.unknown}, opted out ${o.opted_out}`,
      );
  }
  if (s.adherence === null) lines.push('  Reach and adherence: the compliance DB could not be read (see the log).');
  else if (s.adherence !== undefined && s.adherence.days.length > 0) {
    lines.push(`  Reach and adherence, last ${ADHERENCE_DAYS} days (participants not reached vs. reached):`);
    for (const d of s.adherence.days) lines.push(`    ${adherenceLine(d)}`);
  }
  return lines.join('\n');
}

export const status = defineCommand({
  name: 'status',
  summary: "The day's run: state, counts, who approved, failures; last sync; SMTP health.",
  usage: 'status [--date YYYY-MM-DD | --run ID] [--json]',
  slash: '/mail-status',
  flags: {
    date: dateFlag,
    run: { type: 'string', description: 'show this run (its ID from `status --json` or the Slack request)' },
    json: jsonFlag,
  },
  parse: (flags, positionals, ctx) => {
    noPositionals(positionals, 1);
    return {
      reportDate: reportDateOption(flags, positionals, ctx),
      ...(typeof flags.run === 'string' ? { runId: flags.run } : {}),
    };
  },
  run: async (ctx, options: { reportDate: string; runId?: string }) => {
    const day = dayStatus(ctx, options.reportDate, options.runId);
    return {
      ...day,
      onboarding_overdue: onboardingForStatus(ctx),
      adherence: adherenceForStatus(ctx, day.report_date),
    };
  },
  exitCode: (s) => {
    const troubled =
      s.run !== null && (s.run.counts.failed > 0 || s.run.counts.unknown > 0 || s.run.state === 'paused');
    return troubled ? ExitCode.problemsFound : ExitCode.ok;
  },
  text: statusText,
  json: (s) => s,
});
