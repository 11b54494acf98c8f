/**
 * The messages table, the ledger proper: one row per participant of a run.
 *   planned → sending → sent | failed | unknown; plus skipped and blocked at planning.
 * Conservation: every roster row of a run is exactly one message row, in exactly one state.
 * The one_delivery_per_day index (schema.ts) allows one message per participant and day that may
 * have reached them. Every query of the table is here, the send path's prepared ones included.
 */
import type { Statement } from 'better-sqlite3';
import type { StateDb } from './state-db.js';

export type MessageState =
  | 'planned'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'unknown'
  | 'skipped'
  | 'blocked'
  /** Sent, then a hard bounce came back (storage/bounces.ts). */
  | 'bounced';
export const MESSAGE_STATES: readonly MessageState[] = [
  'planned',
  'sending',
  'sent',
  'failed',
  'unknown',
  'skipped',
  'blocked',
  'bounced',
];
export type StateCounts = Record<MessageState, number>;

export interface MessageRow {
  id: number;
  run_id: string;
  report_date: string;
  did: string;
  state: MessageState;
  reason: string | null;
  to_masked: string | null;
  sha256: string | null;
  message_id: string | null;
  attempts: number;
  last_error: string | null;
  failure_kind: 'temporary' | 'permanent' | null;
  smtp_response: string | null;
  updated_at: string;
}

export function messageCounts(db: StateDb, runId: string): StateCounts {
  const counts = Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as StateCounts;
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM messages WHERE run_id = ? GROUP BY state').all(runId) as {
    state: MessageState;
    n: number;
  }[];
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}

/** Failed messages known not to have been delivered (4xx, connection): a re-run retries them. */
export function retryableFailures(db: StateDb, runId: string): number {
  return (
    db
      .prepare(
        "SELECT COUNT(*) AS n FROM messages WHERE run_id = ? AND state = 'failed' AND failure_kind = 'temporary'",
      )
      .get(runId) as { n: number }
  ).n;
}

export function messagesInState(db: StateDb, runId: string, states: readonly MessageState[]): MessageRow[] {
  const placeholders = states.map(() => '?').join(', ');
  return db
    .prepare(`SELECT * FROM messages WHERE run_id = ? AND state IN (${placeholders}) ORDER BY did`)
    .all(runId, ...states) as MessageRow[];
}

export function getMessage(db: StateDb, runId: string, did: string): MessageRow | undefined {
  return db.prepare('SELECT * FROM messages WHERE run_id = ? AND did = ?').get(runId, did) as MessageRow | undefined;
}

/** DIDs that may already have received D's e-mail, in any run of that day. */
export function didsReachedOn(db: StateDb, reportDate: string): Map<string, MessageState> {
  const rows = db
    .prepare("SELECT did, state FROM messages WHERE report_date = ? AND state IN ('sending', 'sent', 'unknown')")
    .all(reportDate) as { did: string; state: MessageState }[];
  return new Map(rows.map((r) => [r.did, r.state]));
}

export interface NewMessage {
  runId: string;
  reportDate: string;
  did: string;
  state: 'planned' | 'skipped' | 'blocked';
  reason: string | null;
  toMasked: string | null;
  sha256: string | null;
  messageId: string | null;
  /** The compliance query row's completion code (schema.ts); null without a row. */
  completion?: number | null;
  at: string;
}

/**
 * Inserts planned rows in transactions of `batchSize`: fast (one fsync per batch, not per row)
 * without holding a write transaction across an await; the caller commits before it waits.
 */
export class MessageInserter {
  private readonly insert: Statement;
  private pending = 0;

  constructor(
    private readonly db: StateDb,
    private readonly batchSize = 1000,
  ) {
    this.insert = db.prepare(
      `INSERT INTO messages (run_id, report_date, did, state, reason, to_masked, sha256, message_id, completion, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  add(m: NewMessage): void {
    if (this.pending === 0) this.db.exec('BEGIN');
    this.insert.run(
      m.runId,
      m.reportDate,
      m.did,
      m.state,
      m.reason,
      m.toMasked,
      m.sha256,
      m.messageId,
      m.completion ?? null,
      m.at,
    );
    if (++this.pending >= this.batchSize) this.commit();
  }

  /** Commits the rows added so far. */
  commit(): void {
    if (this.pending > 0) this.db.exec('COMMIT');
    this.pending = 0;
  }

  /** Drops the rows added since the last commit. */
  abort(): void {
    if (this.pending > 0) this.db.exec('ROLLBACK');
    this.pending = 0;
  }
}

/** [did, sha256] of every planned message, by DID: what the batch hash is computed over. */
export function plannedHashes(db: StateDb, runId: string): IterableIterator<[string, string]> {
  return db
    .prepare("SELECT did, sha256 FROM messages WHERE run_id = ? AND state = 'planned' ORDER BY did")
    .raw(true)
    .iterate(runId) as IterableIterator<[string, string]>;
}
