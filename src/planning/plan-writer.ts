/**
 * Records a dry run as it is produced: ledger rows, send_log.jsonl lines and the counts for the
 * summary. Nothing per message is kept in JavaScript memory: rows go straight into an open
 * transaction (committed every BATCH rows) and log lines into an off-heap buffer. Holding them
 * in arrays instead made every message's bookkeeping outlive the young generation, and a
 * 100,000-message dry run then carried hundreds of MB of garbage.
 */
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { SendLog } from '../outbox/send-log.js';
import type { RosterRow } from '../roster/read.js';
import type { StateDb } from '../storage/state-db.js';
import { maskEmail } from '../util/mask.js';

const BATCH = 1000;

export class PlanWriter {
  readonly skippedByReason: Record<string, number> = {};
  readonly blockedByCode: Record<string, number> = {};
  toSend = 0;
  skipped = 0;
  blocked = 0;
  private inTransaction = 0;
  private readonly sendLog: SendLog;
  private readonly insert: Statement;

  constructor(
    private readonly db: StateDb,
    outboxDir: string,
    private readonly run: { id: string; reportDate: string; templateHash: string; ts: string },
  ) {
    this.sendLog = new SendLog(outboxDir, 256 * 1024);
    this.insert = db.prepare(
      `INSERT INTO messages (run_id, report_date, did, state, reason, to_masked, sha256, message_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  get participants(): number {
    return this.toSend + this.skipped + this.blocked;
  }

  planned(row: RosterRow, sha256: string, messageId: string): void {
    this.toSend++;
    this.record(row, 'planned', null, sha256, messageId, 'dry_run', undefined);
  }

  skip(row: RosterRow, reason: string): void {
    this.skipped++;
    this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + 1;
    this.record(row, 'skipped', reason, null, null, 'skipped', `skipped: ${reason}`);
  }

  block(row: RosterRow, codes: readonly string[]): void {
    this.blocked++;
    const unique = [...new Set(codes)];
    for (const code of unique) this.blockedByCode[code] = (this.blockedByCode[code] ?? 0) + 1;
    this.record(row, 'blocked', unique.join(','), null, null, 'skipped', `blocked: ${unique.join(',')}`);
  }

  /** Commits and flushes everything; returns the batch hash over every message's hash, by DID. */
  finish(): string {
    this.commit();
    this.sendLog.close();
    const hash = createHash('sha256');
    const rows = this.db
      .prepare("SELECT did, sha256 FROM messages WHERE run_id = ? AND state = 'planned' ORDER BY did")
      .raw(true)
      .iterate(this.run.id) as IterableIterator<[string, string]>;
    let first = true;
    for (const [did, sha] of rows) {
      hash.update(`${first ? '' : '\n'}${did}\t${sha}`);
      first = false;
    }
    return hash.digest('hex');
  }

  /** Abandons the open transaction (the run stays in state "planning" and is never sent). */
  abort(): void {
    if (this.inTransaction > 0) this.db.exec('ROLLBACK');
    this.inTransaction = 0;
    this.sendLog.close();
  }

  /** Commits the rows recorded so far (call before waiting on anything). */
  commit(): void {
    if (this.inTransaction > 0) this.db.exec('COMMIT');
    this.inTransaction = 0;
  }

  private record(
    row: RosterRow,
    state: string,
    reason: string | null,
    sha256: string | null,
    messageId: string | null,
    status: 'dry_run' | 'skipped',
    error: string | undefined,
  ): void {
    const { id, reportDate, templateHash, ts } = this.run;
    const toMasked = row.email === '' ? null : maskEmail(row.email);
    if (this.inTransaction === 0) this.db.exec('BEGIN');
    this.insert.run(id, reportDate, row.did, state, reason, toMasked, sha256, messageId, ts);
    if (++this.inTransaction >= BATCH) this.commit();
    this.sendLog.append({
      ts,
      run_id: id,
      report_date: reportDate,
      did: row.did,
      status,
      dry_run: true,
      attempt: 0,
      message_id: messageId,
      to_masked: toMasked,
      template_hash: templateHash,
      ...(error === undefined ? {} : { error }),
    });
  }
}
