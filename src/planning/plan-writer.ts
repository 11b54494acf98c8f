/**
 * Records a dry run as it is produced: ledger rows, send_log.jsonl lines and the counts for the
 * summary. Nothing per message is kept in JavaScript memory: rows go straight into an open
 * transaction (committed every BATCH rows) and log lines into an off-heap buffer. Holding them
 * in arrays instead made every message's bookkeeping outlive the young generation, and a
 * 100,000-message dry run then carried hundreds of MB of garbage.
 */
import { createHash } from 'node:crypto';
import { SendLog } from '../outbox/send-log.js';
import type { RosterRow } from '../roster/read.js';
import { MessageInserter, type NewMessage, plannedHashes } from '../storage/messages.js';
import type { StateDb } from '../storage/state-db.js';
import { maskEmail } from '../util/mask.js';

export class PlanWriter {
  readonly skippedByReason: Record<string, number> = {};
  readonly blockedByCode: Record<string, number> = {};
  toSend = 0;
  skipped = 0;
  blocked = 0;
  private readonly sendLog: SendLog;
  private readonly messages: MessageInserter;

  constructor(
    private readonly db: StateDb,
    outboxDir: string,
    private readonly run: { id: string; reportDate: string; templateHash: string; ts: string },
  ) {
    this.sendLog = new SendLog(outboxDir, 256 * 1024);
    this.messages = new MessageInserter(db);
  }

  get runId(): string {
    return this.run.id;
  }

  get participants(): number {
    return this.toSend + this.skipped + this.blocked;
  }

  /** `completion`: the compliance query row's code (compliance/completion.ts), for the report. */
  planned(row: RosterRow, sha256: string, messageId: string, completion: number | null = null): void {
    this.toSend++;
    this.record(row, 'planned', null, sha256, messageId, 'dry_run', undefined, completion);
  }

  skip(row: RosterRow, reason: string): void {
    this.skipped++;
    this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + 1;
    this.record(row, 'skipped', reason, null, null, 'skipped', `skipped: ${reason}`);
  }

  block(row: RosterRow, codes: readonly string[], completion: number | null = null): void {
    this.blocked++;
    const unique = [...new Set(codes)];
    for (const code of unique) this.blockedByCode[code] = (this.blockedByCode[code] ?? 0) + 1;
    this.record(row, 'blocked', unique.join(','), null, null, 'skipped', `blocked: ${unique.join(',')}`, completion);
  }

  /** Commits and flushes everything; returns the batch hash over every message's hash, by DID. */
  finish(): string {
    this.commit();
    this.sendLog.close();
    const hash = createHash('sha256');
    let first = true;
    for (const [did, sha] of plannedHashes(this.db, this.run.id)) {
      hash.update(`${first ? '' : '\n'}${did}\t${sha}`);
      first = false;
    }
    return hash.digest('hex');
  }

  /** Abandons the open transaction (the run stays in state "planning" and is never sent). */
  abort(): void {
    this.messages.abort();
    this.sendLog.close();
  }

  /** Commits the rows recorded so far (call before waiting on anything). */
  commit(): void {
    this.messages.commit();
  }

  private record(
    row: RosterRow,
    state: NewMessage['state'],
    reason: string | null,
    sha256: string | null,
    messageId: string | null,
    status: 'dry_run' | 'skipped',
    error: string | undefined,
    completion: number | null = null,
  ): void {
    const { id, reportDate, templateHash, ts } = this.run;
    const toMasked = row.email === '' ? null : maskEmail(row.email);
    this.messages.add({
      runId: id,
      reportDate,
      did: row.did,
      state,
      reason,
      toMasked,
      sha256,
      messageId,
      completion,
      at: ts,
    });
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
