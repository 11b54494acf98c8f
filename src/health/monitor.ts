/**
 * `GET /healthz`: each check the bot needs to do its job, as JSON, and 503 when one of the
 * critical ones fails: the state DB cannot be written, the scheduler has stopped ticking, or
 * every Slack call has failed for longer than HEALTH_SLACK_FAILING_MINUTES. SMTP is reported
 * (from the stored result of the last check) but is not critical: a relay outage is an alert,
 * and restarting the bot would not fix it.
 */
import { probeStateDbWrite, readHealth } from '../storage/health.js';
import type { StateDb } from '../storage/state-db.js';

export interface HealthCheckResult {
  ok: boolean;
  critical: boolean;
  [detail: string]: unknown;
}

export interface HealthReport {
  ok: boolean;
  /** The critical checks that fail, by name: why the answer is 503. */
  failing: string[];
  checks: Record<string, HealthCheckResult>;
}

export interface HealthOptions {
  db: StateDb;
  now: () => Date;
  /** Slack failing (no success since the first failure) for longer than this is unhealthy. */
  slackFailingMs: number;
  /** The scheduler's heartbeat older than this is a stall. */
  schedulerStallMs?: number;
  /** True once the bot stopped taking new work (shutdown). */
  stopping: () => boolean;
}

export class HealthMonitor {
  private lastSlack: { ok: boolean; at: Date; method: string; error?: string } | undefined;
  private slackFailingSince: Date | undefined;
  private scheduler: { startedAt: Date; lastTick: Date | undefined } | undefined;

  constructor(private readonly options: HealthOptions) {}

  /**
   * Called for every Slack call the bot makes. Only Web API methods count here: a response_url
   * or file-upload POST ("other") that goes through says nothing about whether the bot can post
   * to the channel, and must not hide a failing chat.postMessage.
   */
  slackCall(method: string, ok: boolean, error?: string): void {
    if (method === 'other') return;
    const at = this.options.now();
    this.lastSlack = { ok, at, method, ...(error !== undefined ? { error } : {}) };
    if (ok) this.slackFailingSince = undefined;
    else this.slackFailingSince ??= at;
  }

  schedulerStarted(): void {
    this.scheduler = { startedAt: this.options.now(), lastTick: undefined };
  }

  schedulerTick(): void {
    if (this.scheduler) this.scheduler.lastTick = this.options.now();
  }

  report(): HealthReport {
    const now = this.options.now();
    const checks: Record<string, HealthCheckResult> = {
      state_db: this.stateDb(now),
      scheduler: this.schedulerCheck(now),
      slack: this.slackCheck(now),
      smtp: this.smtpCheck(),
      stopping: { ok: !this.options.stopping(), critical: true },
    };
    const failing = Object.entries(checks)
      .filter(([, c]) => c.critical && !c.ok)
      .map(([name]) => name);
    return { ok: failing.length === 0, failing, checks };
  }

  private stateDb(now: Date): HealthCheckResult {
    try {
      probeStateDbWrite(this.options.db, now.toISOString());
      return { ok: true, critical: true, writable: true };
    } catch (error) {
      return { ok: false, critical: true, writable: false, error: (error as Error).message };
    }
  }

  private schedulerCheck(now: Date): HealthCheckResult {
    if (this.scheduler === undefined) return { ok: true, critical: true, running: false };
    const stallMs = this.options.schedulerStallMs ?? 5 * 60_000;
    const last = this.scheduler.lastTick ?? this.scheduler.startedAt;
    return {
      ok: now.getTime() - last.getTime() <= stallMs,
      critical: true,
      running: true,
      last_tick_at: this.scheduler.lastTick?.toISOString() ?? null,
      stall_after_s: stallMs / 1000,
    };
  }

  private slackCheck(now: Date): HealthCheckResult {
    const last = this.lastSlack;
    const since = this.slackFailingSince;
    return {
      ok: since === undefined || now.getTime() - since.getTime() <= this.options.slackFailingMs,
      critical: true,
      last_call: last === undefined ? null : { ok: last.ok, at: last.at.toISOString(), method: last.method },
      ...(last?.error !== undefined && !last.ok ? { last_error: last.error } : {}),
      failing_since: since?.toISOString() ?? null,
    };
  }

  private smtpCheck(): HealthCheckResult {
    try {
      const smtp = readHealth(this.options.db, 'smtp');
      return smtp === null
        ? { ok: true, critical: false, checked_at: null }
        : { ok: smtp.ok, critical: false, checked_at: smtp.at };
    } catch (error) {
      return { ok: false, critical: false, error: (error as Error).message };
    }
  }
}
