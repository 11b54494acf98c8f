/**
 * Threads a run's failures under its approval request. The number of Slack calls is bounded
 * whatever the number of failures: at most FAILURE_REPLY_CAP replies per run, then one summary
 * and one CSV upload per send pass. slack_failure_replies remembers what was posted, so a resumed
 * send adds only the new failures.
 */
import { audit } from '../storage/audit.js';
import { type MessageRow, messagesInState, type RunRow } from '../storage/ledger.js';
import type { StateDb } from '../storage/state-db.js';
import type { SlackPoster } from './poster.js';
import {
  type FiledTicket,
  failureReplyBlocks,
  failureReplyText,
  failureSummaryBlocks,
  failuresCsv,
} from './views/failures.js';

export const FAILURE_REPLY_CAP = 20;

export interface ThreadResult {
  replies: number;
  summarised: number;
}

export async function threadFailures(
  poster: SlackPoster,
  db: StateDb,
  run: RunRow,
  timeZone: string,
): Promise<ThreadResult> {
  if (run.slack_channel === null || run.slack_ts === null) return { replies: 0, summarised: 0 };
  const channel = run.slack_channel;
  const threadTs = run.slack_ts;
  const all = messagesInState(db, run.id, ['failed', 'unknown']);
  const posted = new Set(
    (db.prepare('SELECT did FROM slack_failure_replies WHERE run_id = ?').all(run.id) as { did: string }[]).map(
      (r) => r.did,
    ),
  );
  const replied = (
    db.prepare('SELECT COUNT(*) AS n FROM slack_failure_replies WHERE run_id = ? AND ts IS NOT NULL').get(run.id) as {
      n: number;
    }
  ).n;
  const fresh = all.filter((m) => !posted.has(m.did));
  const individually = fresh.slice(0, Math.max(0, FAILURE_REPLY_CAP - replied));
  const rest = fresh.slice(individually.length);
  const remember = db.prepare(
    'INSERT OR IGNORE INTO slack_failure_replies (run_id, did, channel, ts) VALUES (?, ?, ?, ?)',
  );

  for (const m of individually) {
    const ts = await poster.post(
      channel,
      { text: failureReplyText(m), blocks: failureReplyBlocks(m, undefined, timeZone) },
      threadTs,
    );
    remember.run(run.id, m.did, channel, ts);
  }
  if (rest.length > 0) {
    await poster.post(
      channel,
      {
        text: `${rest.length} more failed message(s); CSV attached.`,
        blocks: failureSummaryBlocks(rest, all.length, FAILURE_REPLY_CAP),
      },
      threadTs,
    );
    db.transaction(() => {
      for (const m of rest) remember.run(run.id, m.did, channel, null);
    })();
    await poster.uploadCsv(
      channel,
      threadTs,
      `failures-${run.report_date}-${run.id}.csv`,
      failuresCsv(all),
      `All ${all.length} failures of run ${run.id}.`,
    );
  }
  return { replies: individually.length, summarised: rest.length };
}

/** Marks a failure's ticket as filed; the first one to file wins. Returns the message for the reply. */
export function fileTicket(
  db: StateDb,
  runId: string,
  did: string,
  userId: string,
  ticketId: string | null,
  at: Date,
): { message: MessageRow; filed: FiledTicket; first: boolean; channel: string; ts: string | null } | undefined {
  return db
    .transaction(() => {
      const message = db.prepare('SELECT * FROM messages WHERE run_id = ? AND did = ?').get(runId, did) as
        | MessageRow
        | undefined;
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
      if (reply.filed_by !== null) {
        return {
          message,
          channel: reply.channel,
          ts: reply.ts,
          first: false,
          filed: {
            ticketId: reply.ticket_id,
            filedBy: reply.filed_by,
            filedAt: new Date(reply.filed_at ?? at.toISOString()),
          },
        };
      }
      db.prepare(
        'UPDATE slack_failure_replies SET ticket_id = ?, filed_by = ?, filed_at = ? WHERE run_id = ? AND did = ?',
      ).run(ticketId, userId, at.toISOString(), runId, did);
      audit(
        db,
        {
          actor: `slack:${userId}`,
          action: 'ticket_filed',
          runId,
          reportDate: message.report_date,
          detail: { did, ticket_id: ticketId },
        },
        at,
      );
      return {
        message,
        channel: reply.channel,
        ts: reply.ts,
        first: true,
        filed: { ticketId, filedBy: userId, filedAt: at },
      };
    })
    .immediate();
}
