/**
 * Records a dry run as it is produced: ledger rows (in batched transactions), send_log.jsonl
 * lines, the counts for the summary and the per-message hashes for the batch hash.
 */
import { createHash } from 'node:crypto';
import { maskEmail } from '../util/mask.js';
import type { RosterRow } from '../roster/read.js';
import { SendLog } from './send-log.js';
import type { StateDb } from './state-db.js';

const BATCH = 1000;

export class PlanWriter {
  readonly skippedByReason: Record<string, number> = {};
  readonly blockedByCode: Record<string, number> = {};
  toSend = 0;
  skipped = 0;
  blocked = 0;
  private readonly hashes: string[] = [];
  private pending: unknown[][] = [];
  private readonly sendLog: SendLog;
  private readonly flushRows: (rows: unknown[][]) => void;

  constructor(
    db: StateDb,
    outboxDir: string,
    private readonly run: { id: string; reportDate: string; templateHash: string; ts: string },
  ) {
    this.sendLog = new SendLog(outboxDir, BATCH);
    const insert = db.prepare(
      `INSERT INTO messages (run_id, report_date, did, state, reason, to_masked, sha256, message_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.flushRows = db.transaction((rows: unknown[][]) => {
      for (const row of rows) insert.run(...row);
    });
  }

  get participants(): number {
    return this.toSend + this.skipped + this.blocked;
  }

  planned(row: RosterRow, sha256: string, messageId: string): void {
    this.toSend++;
    this.hashes.push(`${row.did}\t${sha256}`);
    this.record(row, 'planned', null, sha256, messageId, { status: 'dry_run' });
  }

  skip(row: RosterRow, reason: string): void {
    this.skipped++;
    this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + 1;
    this.record(row, 'skipped', reason, null, null, { status: 'skipped', error: `skipped: ${reason}` });
  }

  block(row: RosterRow, codes: readonly string[]): void {
    this.blocked++;
    const unique = [...new Set(codes)];
    for (const code of unique) this.blockedByCode[code] = (this.blockedByCode[code] ?? 0) + 1;
    this.record(row, 'blocked', unique.join(','), null, null, { status: 'skipped', error: `blocked: ${unique.join(',')}` });
  }

  /** Flushes everything and returns the batch hash (over every message's hash, by DID). */
  finish(): string {
    this.flushRows(this.pending);
    this.pending = [];
    this.sendLog.close();
    this.hashes.sort();
    return createHash('sha256').update(this.hashes.join('\n')).digest('hex');
  }

  private record(row: RosterRow, state: string, reason: string | null, sha256: string | null, messageId: string | null, log: { status: 'dry_run' | 'skipped'; error?: string }): void {
    const { id, reportDate, templateHash, ts } = this.run;
    const toMasked = row.email === '' ? null : maskEmail(row.email);
    this.pending.push([id, reportDate, row.did, state, reason, toMasked, sha256, messageId, ts]);
    if (this.pending.length >= BATCH) {
      this.flushRows(this.pending);
      this.pending = [];
    }
    this.sendLog.append({ ts, run_id: id, report_date: reportDate, did: row.did, dry_run: true, attempt: 0, message_id: messageId, to_masked: toMasked, template_hash: templateHash, ...log });
  }
}
