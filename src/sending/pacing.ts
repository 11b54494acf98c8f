/**
 * How fast one send may go: the configured rate (SMTP_RATE_PER_SECOND, SMTP_RATE_PER_MINUTE; the
 * stricter wins) and, on top of it, the relay's own rate limits. When the relay says "slow down"
 * (421, 4.7.x, "too many …") the whole send backs off for a growing delay and uses half as many
 * connections; that is not a failure of the message, which is simply tried again.
 */
import type { Config } from '../config.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest single back-off after a rate limit. */
export const MAX_THROTTLE_DELAY_MS = 120_000;
/** Rate limits in a row (each after the previous back-off) before the run pauses instead. */
export const MAX_THROTTLE_STREAK = 10;

/** Milliseconds between two sends, 0 for no limit. */
export function sendIntervalMs(config: Pick<Config, 'SMTP_RATE_PER_SECOND' | 'SMTP_RATE_PER_MINUTE'>): number {
  const perSecond = config.SMTP_RATE_PER_SECOND > 0 ? 1000 / config.SMTP_RATE_PER_SECOND : 0;
  const perMinute = config.SMTP_RATE_PER_MINUTE === undefined ? 0 : 60_000 / config.SMTP_RATE_PER_MINUTE;
  return Math.max(perSecond, perMinute);
}

export class Pacer {
  private readonly intervalMs: number;
  private nextSlot = 0;
  private throttledUntil = 0;
  private streak = 0;
  /** How many connections may keep sending; halved by each rate limit. */
  connections: number;

  constructor(
    config: Pick<Config, 'SMTP_RATE_PER_SECOND' | 'SMTP_RATE_PER_MINUTE' | 'SEND_RETRY_BACKOFF_MS'>,
    connections: number,
    private readonly baseDelayMs = Math.max(1, config.SEND_RETRY_BACKOFF_MS),
  ) {
    this.intervalMs = sendIntervalMs(config);
    this.connections = connections;
  }

  /** Whether the next send may have to wait (a rate is set, or the relay asked us to slow down). */
  get mayWait(): boolean {
    return this.intervalMs > 0 || Date.now() < this.throttledUntil;
  }

  /** Waits for this connection's turn. */
  async turn(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now < this.throttledUntil) {
        await sleep(this.throttledUntil - now);
        continue;
      }
      if (this.intervalMs <= 0) return;
      const slot = Math.max(now, this.nextSlot);
      this.nextSlot = slot + this.intervalMs;
      if (slot > now) await sleep(slot - now);
      return;
    }
  }

  /**
   * The relay asked us to slow down. A rate limit that arrives while we are already backing off
   * (another connection's message, sent before) does not lengthen the delay again.
   */
  throttled(): { retryAt: number; exhausted: boolean } {
    const now = Date.now();
    if (now >= this.throttledUntil) {
      this.streak++;
      this.connections = Math.max(1, Math.floor(this.connections / 2));
      this.throttledUntil = now + Math.min(this.baseDelayMs * 2 ** (this.streak - 1), MAX_THROTTLE_DELAY_MS);
    }
    return { retryAt: this.throttledUntil, exhausted: this.streak > MAX_THROTTLE_STREAK };
  }

  /** A message was accepted: the next rate limit starts the back-off afresh. */
  accepted(): void {
    this.streak = 0;
  }
}
