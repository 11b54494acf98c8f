import { audit } from './audit.js';
import type { RunRow } from './ledger.js';
import type { StateDb } from './state-db.js';

/**
 * Records who approved a previewed run (the first approval wins; a later one is still audited).
 * The CLI's confirmation and, later, Slack's Approve button both come through here.
 */
export function recordApproval(db: StateDb, run: RunRow, actor: string, via: 'cli' | 'slack', at: Date): void {
  db.transaction(() => {
    db.prepare('UPDATE runs SET decided_by = ?, decided_at = ? WHERE id = ? AND decided_by IS NULL').run(actor, at.toISOString(), run.id);
    audit(db, { actor, action: 'run_approved', runId: run.id, reportDate: run.report_date, batchHash: run.batch_hash, detail: { via } }, at);
  })();
}
