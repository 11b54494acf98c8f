/**
 * The one live-send path. The CLI (send-daily), Slack's Approve button and (later) Resume all
 * call sendApprovedRun: the settings preflight, the deadline, the relay connections, throttled
 * progress, then the send itself (send.ts: lock, reconciliation, ledger, send log).
 */
import { type Config, requireSendSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { ResendUnknown } from '../storage/send-ledger.js';
import type { StateDb } from '../storage/state-db.js';
import { assertBeforeDeadline } from './deadline.js';
import { sendRun } from './send.js';
import { smtpTransportFactory } from './transport.js';
import type { MessageTransport, SendProgress, SendResult } from './types.js';

export interface LiveSendDeps {
  db: StateDb;
  config: Config;
  logger: Logger;
  now: () => Date;
  /** The relay; SMTP per the configuration unless given (tests, the benchmark). */
  openTransport?: () => MessageTransport;
  signal?: AbortSignal;
}

export interface ProgressSink {
  /** At most one report per this many ms; a report still running is never overlapped. */
  everyMs: number;
  report(progress: SendProgress): void | Promise<void>;
  /** Report the first message at once (a terminal) rather than after everyMs (a message already saying "starting"). */
  immediate?: boolean;
  /** Also report the last state (nothing pending); off when the caller shows the result itself. */
  final?: boolean;
}

export interface LiveSendRequest {
  runId: string;
  reportDate: string;
  actor: string;
  resendUnknown: ResendUnknown;
  progress?: ProgressSink;
}

/** What must hold before a live send of D starts (and before anyone is asked to confirm one). */
export function preflightLiveSend(config: Config, reportDate: string, now: Date): void {
  requireSendSettings(config);
  assertBeforeDeadline(config, reportDate, now);
}

export async function sendApprovedRun(deps: LiveSendDeps, request: LiveSendRequest): Promise<SendResult> {
  preflightLiveSend(deps.config, request.reportDate, deps.now());
  const progress = throttle(request.progress, deps.logger);
  try {
    return await sendRun(
      {
        db: deps.db,
        config: deps.config,
        logger: deps.logger,
        now: deps.now,
        openTransport: deps.openTransport ?? smtpTransportFactory(deps.config),
        onProgress: progress.report,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      request.runId,
      { actor: request.actor, resendUnknown: request.resendUnknown },
    );
  } finally {
    await progress.idle();
  }
}

/** Progress to a slow sink (a terminal, a Slack message) without ever holding up the send. */
function throttle(
  sink: ProgressSink | undefined,
  logger: Logger,
): { report: (p: SendProgress) => void; idle: () => Promise<void> } {
  let last = sink?.immediate ? 0 : Date.now();
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  return {
    report: (p) => {
      if (sink === undefined || busy) return;
      const done = p.pending === 0;
      if (done ? !sink.final : Date.now() - last < sink.everyMs) return;
      last = Date.now();
      busy = true;
      inFlight = Promise.resolve()
        .then(() => sink.report(p))
        .catch((error: unknown) => logger.warn({ error: (error as Error).message }, 'progress report failed'))
        .finally(() => {
          busy = false;
        });
    },
    idle: () => inFlight,
  };
}
