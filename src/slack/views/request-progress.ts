/**
 * What the approval request shows for a run from its row and its messages alone: used whenever
 * the request is brought up to date without a live send reporting to it (the Slack sync queue,
 * a restart, a send from the CLI).
 */
import { messageCounts } from '../../storage/messages.js';
import { INTERRUPTED_REASON, type RunRow } from '../../storage/runs.js';
import type { StateDb } from '../../storage/state-db.js';
import type { RequestProgress } from './approval.js';

/** What the request shows for a run from its row and its messages alone. */
export function requestProgressFromLedger(db: StateDb, run: RunRow): RequestProgress | undefined {
  if (run.decided_by === null || run.state === 'planned') return undefined;
  const counts = messageCounts(db, run.id);
  if (run.state === 'sending') {
    const { sent, failed, unknown, planned } = counts;
    return {
      kind: 'sending',
      progress: { total: sent + failed + unknown + planned, sent, failed, unknown, pending: planned },
    };
  }
  if (run.state === 'done') return { kind: 'finished', counts, outcome: 'done' };
  if (run.state === 'paused') {
    const interrupted = run.pause_reason === INTERRUPTED_REASON;
    return {
      kind: 'finished',
      counts,
      outcome: interrupted ? 'interrupted' : 'paused',
      ...(run.pause_reason ? { pauseReason: run.pause_reason } : {}),
    };
  }
  return undefined;
}
