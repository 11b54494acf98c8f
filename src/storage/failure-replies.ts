/**
 * slack_failure_replies: which failed messages of a run have been threaded under its approval
 * request (so a resumed send never posts the same failure twice), and who filed their tickets.
 */
import { audit } from './audit.js';
import { getMessage, type MessageRow } from './messages.js';
import type { StateDb } from './state-db.js';

export interface FiledTicket {
  ticketId: string | null;
  filedBy: string;
  filedAt: Date;
}

/** DIDs of the run whose failure was already threaded (one by one or in a summary). */
export function threadedFailureDids(db: StateDb, runId: string): Set<string> {
  const rows = db.prepare('SELECT did FROM slack_failure_replies WHERE run_id = ?').all(runId) as { did: string }[];
  return new Set(rows.map((r) => r.did));
}

/** How many failures of the run have a reply of their own (the rest are in summaries). */
export function individualReplyCount(db: StateDb, runId: string): number {
  return (
    db.prepare('SELECT COUNT(*) AS n FROM slack_failure_replies WHERE run_id = ? AND ts IS NOT NULL').get(runId) as {
      n: number;
    }
  ).n;
}

/** Remembers that these failures were threaded: with the reply's ts, or null when summarised. */
export function rememberThreaded(
  db: StateDb,
  runId: string,
  channel: string,
  replies: readonly { did: string; ts: string | null }[],
): void {
  const insert = db.prepare(
    'INSERT OR IGNORE INTO slack_failure_replies (run_id, did, channel, ts) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const reply of replies) insert.run(runId, reply.did, channel, reply.ts);
  })();
}

export interface TicketFiling {
  message: MessageRow;
  filed: FiledTicket;
  /** False when someone had filed it already (their filing is returned). */
  first: boolean;
  channel: string;
  ts: string | null;
}

/** Marks a failure's ticket as filed, audited; the first one to file wins. */
export function fileTicket(
  db: StateDb,
  runId: string,
  did: string,
  userId: string,
  ticketId: string | null,
  at: Date,
): TicketFiling | undefined {
  return db
    .transaction((): TicketFiling | undefined => {
      const message = getMessage(db, runId, did);
      const reply = db.prepare('SELECT * FROM slack_failure_replies WHERE run_id = ? AND did = ?').get(runId, did) as
        | {
            channel: string;
            ts: string | null;
            ticket_id: string | null;
            filed_by: string | null;
            filed_at: string | null;
          }
        | undefined;
      if (message === undefined || reply === undefined) return undefined;
      const where = { message, channel: reply.channel, ts: reply.ts };
      if (reply.filed_by !== null) {
        const filedAt = new Date(reply.filed_at ?? at.toISOString());
        return { ...where, first: false, filed: { ticketId: reply.ticket_id, filedBy: reply.filed_by, filedAt } };
      }
      db.prepare(
        'UPDATE slack_failure_replies SET ticket_id = ?, filed_by = ?, filed_at = ? WHERE run_id = ? AND did = ?',
      ).run(ticketId, userId, at.toISOString(), runId, did);
      const detail = { did, ticket_id: ticketId };
      audit(
        db,
        { actor: `slack:${userId}`, action: 'ticket_filed', runId, reportDate: message.report_date, detail },
        at,
      );
      return { ...where, first: true, filed: { ticketId, filedBy: userId, filedAt: at } };
    })
    .immediate();
}

/** Where the failure reply of (run, DID) was posted, if it was posted as a reply of its own. */
export function failureReplyAt(db: StateDb, runId: string, did: string): { channel: string; ts: string } | undefined {
  const row = db
    .prepare('SELECT channel, ts FROM slack_failure_replies WHERE run_id = ? AND did = ?')
    .get(runId, did) as { channel: string; ts: string | null } | undefined;
  return row?.ts == null ? undefined : { channel: row.channel, ts: row.ts };
}
