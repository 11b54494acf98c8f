/**
 * The send queue: planned messages read from the ledger a page at a time (never the whole run
 * in memory), plus messages waiting out a retry back-off.
 */
import type { QueuedMessage, SendLedger } from '../storage/send-ledger.js';

export type { QueuedMessage };

const PAGE = 500;

export type Next = { message: QueuedMessage } | { waitMs: number } | { done: true };

export class WorkQueue {
  private page: QueuedMessage[] = [];
  private lastId = 0;
  private exhausted = false;
  private readonly retries: { message: QueuedMessage; notBefore: number }[] = [];
  /** Messages handed out and not yet finished: a retry may still come back from them. */
  private inFlight = 0;

  constructor(
    private readonly ledger: SendLedger,
    private readonly runId: string,
  ) {}

  next(now: number): Next {
    const dueIndex = this.retries.findIndex((r) => r.notBefore <= now);
    if (dueIndex !== -1) {
      const [due] = this.retries.splice(dueIndex, 1);
      this.inFlight++;
      return { message: due!.message };
    }
    if (this.page.length === 0 && !this.exhausted) this.fill();
    const message = this.page.shift();
    if (message !== undefined) {
      this.inFlight++;
      return { message };
    }
    if (this.retries.length > 0)
      return { waitMs: Math.max(1, Math.min(...this.retries.map((r) => r.notBefore)) - now) };
    if (this.inFlight > 0) return { waitMs: 10 };
    return { done: true };
  }

  finished(): void {
    this.inFlight--;
  }

  retryLater(message: QueuedMessage, notBefore: number): void {
    this.retries.push({ message, notBefore });
  }

  private fill(): void {
    this.page = this.ledger.plannedPage(this.runId, this.lastId, PAGE);
    const last = this.page.at(-1);
    if (last === undefined) this.exhausted = true;
    else this.lastId = last.id;
  }
}
