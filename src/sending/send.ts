/**
 * The live send of one run: the planned bytes, verified against their hashes, over a pool of
 * SMTP connections that are each kept busy, with at most one message in flight per connection.
 *
 * Exactly-once rests on three things: the per-day lock (one sender at a time), the atomic claim
 * (planned → sending, with the one_delivery_per_day index behind it) and the rule that a message
 * whose outcome is unknown is never re-sent without an explicit --resend-unknown.
 */
import { JobRefusedError, UsageError } from '../errors.js';
import { SendLog } from '../outbox/send-log.js';
import { audit } from '../storage/audit.js';
import { acquireLock, sendLockName } from '../storage/locks.js';
import { messageCounts, messagesInState } from '../storage/messages.js';
import { getRun, INTERRUPTED_REASON, pauseRun, setRunState } from '../storage/runs.js';
import { reconcileBeforeSend } from '../storage/send-ledger.js';
import { requestSlackSync } from '../storage/slack-sync.js';
import { maskAddressesInText } from '../util/mask.js';
import { SendEngine } from './send-engine.js';
import { assertSendable } from './sendable.js';
import { recordSendHealth } from './smtp-health.js';
import { TLS_DISABLED_WARNING, tlsPolicy } from './transport.js';
import type { EngineResult, LogLine, SendDeps, SendOptions, SendResult } from './types.js';

export async function sendRun(deps: SendDeps, runId: string, options: SendOptions): Promise<SendResult> {
  const { db, config } = deps;
  const run = getRun(db, runId);
  if (run === undefined) throw new UsageError(`There is no run ${runId}.`, 'run_missing');
  assertSendable(run, config);
  const log = deps.logger.child({ component: 'send', run_id: run.id, report_date: run.report_date });
  const at = (): string => deps.now().toISOString();
  const lock = acquireLock(db, sendLockName(run.report_date), deps.now);
  const sendLog = new SendLog(config.OUTBOX_DIR);
  const logLine: LogLine = (m, fields) =>
    sendLog.append({
      ts: at(),
      run_id: run.id,
      report_date: run.report_date,
      did: m.did,
      dry_run: false,
      message_id: m.message_id,
      to_masked: m.to_masked,
      template_hash: run.template_hash,
      ...fields,
    });
  try {
    // Another process may have superseded or finished the run while we waited for the lock.
    assertSendable(getRun(db, run.id) ?? run, config);
    const { orphaned } = reconcileBeforeSend(db, run, options, deps.now());
    for (const m of orphaned) {
      const error =
        'outcome unknown: the previous sender stopped while this message was in flight; not re-sent (use --resend-unknown)';
      logLine(m, { status: 'unknown', attempt: m.attempts, error });
    }
    setRunState(db, run.id, 'sending');
    // The approval request in Slack follows every send, whoever started it (the bot drains this).
    if (run.slack_ts !== null) requestSlackSync(db, run.id, deps.now());
    audit(
      db,
      {
        actor: options.actor,
        action: 'send_started',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
      },
      deps.now(),
    );

    if (tlsPolicy(config) === 'disabled') log.warn({ variable: 'SMTP_REQUIRE_TLS' }, TLS_DISABLED_WARNING);
    const engine = new SendEngine(deps, run, lock.owner, logLine, log);
    let result: EngineResult;
    try {
      // Resolves or rejects only once every connection has stopped and its messages are recorded.
      result = await engine.start();
    } catch (error) {
      throw stoppedHard(deps, run, options.actor, error);
    }
    const { outcome, pauseReason, sentNow } = result;
    recordSendHealth(db, config, deps.now(), {
      sentNow,
      relayProblem: result.relayProblem ? pauseReason : undefined,
    });

    const counts = messageCounts(db, run.id);
    if (outcome === 'done') setRunState(db, run.id, 'done', at());
    else pauseRun(db, run.id, outcome === 'interrupted' ? INTERRUPTED_REASON : (pauseReason ?? 'paused'));
    if (run.slack_ts !== null) requestSlackSync(db, run.id, deps.now());
    audit(
      db,
      {
        actor: options.actor,
        action: outcome === 'done' ? 'send_finished' : 'send_paused',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
        detail: { counts, ...(pauseReason ? { reason: pauseReason } : {}) },
      },
      deps.now(),
    );
    log.info({ counts, outcome }, 'send finished');
    return {
      runId: run.id,
      reportDate: run.report_date,
      batchHash: run.batch_hash,
      outcome,
      ...(pauseReason === undefined ? {} : { pauseReason }),
      counts,
      sentNow,
      failures: messagesInState(db, run.id, ['failed']).map((m) => ({
        did: m.did,
        error: m.last_error ?? '',
        attempts: m.attempts,
        kind: m.failure_kind ?? '',
      })),
      unknownDids: messagesInState(db, run.id, ['unknown']).map((m) => m.did),
      redirectTo: run.redirect_to,
    };
  } finally {
    lock.release();
    sendLog.close();
  }
}

/** A connection failed hard (e.g. the send log cannot be written): the run is paused, and says why. */
function stoppedHard(
  deps: SendDeps,
  run: { id: string; report_date: string; batch_hash: string },
  actor: string,
  error: unknown,
): JobRefusedError {
  const detail = error instanceof Error ? error.message : String(error);
  const reason = `The send stopped: ${maskAddressesInText(detail).slice(0, 300)}. Every connection was stopped and every message sent so far is recorded; fix the cause, then run send-daily again to continue.`;
  deps.logger.error({ error: error instanceof Error ? error.stack : detail }, 'send stopped: a connection failed hard');
  try {
    pauseRun(deps.db, run.id, reason);
    requestSlackSync(deps.db, run.id, deps.now());
    audit(
      deps.db,
      {
        actor,
        action: 'send_paused',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
        detail: { reason },
      },
      deps.now(),
    );
  } catch (auditError) {
    deps.logger.error({ error: (auditError as Error).message }, 'could not record the stopped send');
  }
  return new JobRefusedError(reason, 'send_stopped');
}
