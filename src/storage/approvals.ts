import { audit } from './audit.js';
import { getRun, type RunRow } from './runs.js';
import type { StateDb } from './state-db.js';

/**
 * Records who approved a previewed run (the first approval wins; a later one is still audited).
 * The CLI's confirmation comes through here; Slack's buttons use claimDecision, which refuses
 * instead of recording a second decision.
 */
export function recordApproval(db: StateDb, run: RunRow, actor: string, at: Date): void {
  db.transaction(() => {
    db.prepare('UPDATE runs SET decided_by = ?, decided_at = ? WHERE id = ? AND decided_by IS NULL').run(
      actor,
      at.toISOString(),
      run.id,
    );
    audit(
      db,
      {
        actor,
        action: 'run_approved',
        runId: run.id,
        reportDate: run.report_date,
        batchHash: run.batch_hash,
      },
      at,
    );
  })();
}

export type Decision = { kind: 'approve' } | { kind: 'reject'; reason: string };

/**
 * Atomically takes the decision on a planned, undecided run: of any number of simultaneous
 * clicks (one process or several, the row is the arbiter), exactly one returns the updated run;
 * the others get undefined and must not send. The decision and its audit row commit together.
 */
export function claimDecision(
  db: StateDb,
  runId: string,
  actor: string,
  decision: Decision,
  at: Date,
): RunRow | undefined {
  return db
    .transaction(() => {
      const stamp = at.toISOString();
      const changed =
        decision.kind === 'approve'
          ? db
              .prepare(
                "UPDATE runs SET decided_by = ?, decided_at = ? WHERE id = ? AND state = 'planned' AND decided_by IS NULL",
              )
              .run(actor, stamp, runId).changes
          : db
              .prepare(
                "UPDATE runs SET state = 'rejected', decided_by = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND state = 'planned' AND decided_by IS NULL",
              )
              .run(actor, stamp, decision.reason, runId).changes;
      if (changed !== 1) return undefined;
      const run = getRun(db, runId)!;
      audit(
        db,
        {
          actor,
          action: decision.kind === 'approve' ? 'run_approved' : 'run_rejected',
          runId,
          reportDate: run.report_date,
          batchHash: run.batch_hash,
          detail: decision.kind === 'approve' ? { via: 'slack' } : { via: 'slack', reason: decision.reason },
        },
        at,
      );
      return run;
    })
    .immediate();
}
