/**
 * Why one live send stops taking new messages: paused (a reason someone must act on; the
 * relay's doing or not), interrupted (a signal), or failed hard (an exception in a connection).
 * Every connection checks `stopping` before each message; the first reason given is the one kept.
 */
import type { Logger } from '../logger.js';

export class StopSignal {
  private consecutiveFailures = 0;
  pauseReason: string | undefined;
  /** The pause was the relay's doing (settings refused, rate limits, failures in a row). */
  relayProblem = false;
  hardError: { error: unknown } | undefined;
  interrupted = false;

  constructor(
    private readonly log: Logger,
    private readonly pauseAfterFailures: number,
  ) {}

  get stopping(): boolean {
    return this.interrupted || this.pauseReason !== undefined || this.hardError !== undefined;
  }

  pause(reason: string, relayProblem = false): void {
    if (this.pauseReason !== undefined) return;
    this.pauseReason = reason;
    this.relayProblem = relayProblem;
    this.log.warn({ reason }, 'send paused');
  }

  failedHard(error: unknown): void {
    this.hardError ??= { error };
  }

  /** A message was accepted: failures are no longer "in a row". */
  accepted(): void {
    this.consecutiveFailures = 0;
  }

  /** An attempt failed; enough of them in a row pause the run (the relay is probably the cause). */
  failed(error: string): void {
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.pauseAfterFailures)
      this.pause(
        `${this.consecutiveFailures} attempts in a row failed (last: ${error}). Fix the cause, then run send-daily again to continue.`,
        true,
      );
  }
}
