/**
 * Group commit for the send's ledger writes. Every connection that becomes free in the same
 * event-loop turn hands over its previous message's "sent" mark and its next claim; one
 * transaction commits them all. Each claim is still on disk before its message's first byte is
 * sent (the caller awaits it); only the number of commits per message goes down.
 */
import type { SendLedger } from '../storage/send-ledger.js';

export interface SentMark {
  id: number;
  response: string;
  at: string;
}

/** claimed: ours to send; gone: no longer planned; duplicate: this participant was reached by another run of the day. */
export type ClaimOutcome = 'claimed' | 'gone' | 'duplicate';

interface Request {
  mark: SentMark | undefined;
  claimId: number | undefined;
  resolve: (outcome: ClaimOutcome | undefined) => void;
  reject: (error: unknown) => void;
}

export class ClaimBatcher {
  private pending: Request[] = [];
  private scheduled = false;
  constructor(
    private readonly ledger: SendLedger,
    private readonly owner: string,
    private readonly now: () => Date,
  ) {}

  /** Records `mark` (if any) and claims `claimId`, in the next group commit. */
  submit(mark: SentMark | undefined, claimId: number): Promise<ClaimOutcome> {
    return this.enqueue(mark, claimId) as Promise<ClaimOutcome>;
  }

  /** Writes a mark synchronously, outside any batch: for the paths that must not wait. */
  recordNow(mark: SentMark | undefined): void {
    if (mark !== undefined) this.ledger.markSent(mark.id, mark.response, mark.at);
  }

  private enqueue(mark: SentMark | undefined, claimId: number | undefined): Promise<ClaimOutcome | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ mark, claimId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    let outcomes: (ClaimOutcome | undefined)[];
    try {
      outcomes = this.ledger.db.transaction(() => {
        const at = this.now().toISOString();
        return batch.map((request) => {
          if (request.mark !== undefined) this.ledger.markSent(request.mark.id, request.mark.response, request.mark.at);
          if (request.claimId === undefined) return undefined;
          try {
            return this.ledger.claim(request.claimId, this.owner, at) ? 'claimed' : 'gone';
          } catch (error) {
            // one_delivery_per_day: another run of this day already reached this participant.
            if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
            this.ledger.skipAsDuplicate(request.claimId, at);
            return 'duplicate';
          }
        });
      })();
    } catch (error) {
      for (const request of batch) request.reject(error);
      return;
    }
    for (const [i, request] of batch.entries()) request.resolve(outcomes[i]);
  }
}
