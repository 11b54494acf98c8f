/**
 * What the team has not been told yet about bounces and opt-outs. The notices are driven by the
 * stored state, not by whoever recorded it: the schedule, /mail-bounces, a CLI shell or the
 * unsubscribe page only write the ledger and the suppressions; the bot asks here what is still
 * to post, and marks each item right after Slack took it: a re-run never posts twice, and a
 * crash between a post and its mark repeats that one post rather than lose it.
 */
import type { BouncedMessageRow } from './bounces.js';
import type { RunRow } from './runs.js';
import type { StateDb } from './state-db.js';

/** Runs with a Slack request whose hard bounces are not all in its thread yet. */
export function runsWithBouncesToNotice(db: StateDb): RunRow[] {
  return db
    .prepare(
      `SELECT * FROM runs WHERE slack_channel IS NOT NULL AND slack_ts IS NOT NULL AND id IN
         (SELECT run_id FROM messages WHERE state = 'bounced' AND bounce_noticed_at IS NULL)
       ORDER BY report_date, created_at`,
    )
    .all() as RunRow[];
}

/** Every hard bounce of the run, by DID (for the summary's CSV and counts). */
export function bouncedMessages(db: StateDb, runId: string): BouncedMessageRow[] {
  return db
    .prepare("SELECT * FROM messages WHERE run_id = ? AND state = 'bounced' ORDER BY did")
    .all(runId) as BouncedMessageRow[];
}

/** How many of the run's bounces have a thread reply of their own (the rest are in summaries). */
export function individualBounceReplies(db: StateDb, runId: string): number {
  return (
    db
      .prepare(
        `SELECT COUNT(*) AS n FROM messages m JOIN slack_failure_replies r ON r.run_id = m.run_id AND r.did = m.did
         WHERE m.run_id = ? AND m.state = 'bounced' AND m.bounce_noticed_at IS NOT NULL AND r.ts IS NOT NULL`,
      )
      .get(runId) as { n: number }
  ).n;
}

/**
 * Remembers that these bounces were told: with the reply's ts (its "Ticket filed" button works
 * like a send failure's), or null when they were summarised. A message whose outcome was unknown
 * had a failure reply already: the bounce reply takes its place, a filed ticket is kept.
 */
export function rememberBounceNoticed(
  db: StateDb,
  runId: string,
  channel: string,
  replies: readonly { did: string; ts: string | null }[],
  at: Date,
): void {
  const mark = db.prepare(
    'UPDATE messages SET bounce_noticed_at = ? WHERE run_id = ? AND did = ? AND bounce_noticed_at IS NULL',
  );
  const reply = db.prepare(
    `INSERT INTO slack_failure_replies (run_id, did, channel, ts) VALUES (?, ?, ?, ?)
     ON CONFLICT (run_id, did) DO UPDATE SET channel = excluded.channel, ts = COALESCE(excluded.ts, ts)`,
  );
  db.transaction(() => {
    for (const r of replies) {
      mark.run(at.toISOString(), runId, r.did);
      reply.run(runId, r.did, channel, r.ts);
    }
  })();
}

export interface OptOutToNotice {
  id: number;
  did: string;
  at: string;
}

/** Opt-outs (by DID) the channel has not been told about, oldest first. */
export function optOutsToNotice(db: StateDb): OptOutToNotice[] {
  return db
    .prepare("SELECT id, did, at FROM suppressions WHERE kind = 'opted_out' AND noticed_at IS NULL ORDER BY at, id")
    .all() as OptOutToNotice[];
}

/** The channel was told about this opt-out. */
export function markOptOutNoticed(db: StateDb, id: number, at: Date): void {
  db.prepare('UPDATE suppressions SET noticed_at = ? WHERE id = ? AND noticed_at IS NULL').run(at.toISOString(), id);
}

export interface RunBounceRate {
  run_id: string;
  report_date: string;
  /** Messages that went out and were accepted by the relay: sent, later bounced or not. */
  went_out: number;
  bounced: number;
}

/**
 * Runs with a hard bounce recorded since `since` (ISO time), with the share that bounced. Found
 * through the bounced messages (a partial index), then counted per run: never a ledger scan.
 */
export function bounceRates(db: StateDb, since: string): RunBounceRate[] {
  return db
    .prepare(
      `SELECT m.run_id, m.report_date,
              (SELECT COUNT(*) FROM messages x WHERE x.run_id = m.run_id AND x.state IN ('sent', 'bounced')) AS went_out,
              (SELECT COUNT(*) FROM messages x WHERE x.run_id = m.run_id AND x.state = 'bounced') AS bounced
       FROM (SELECT DISTINCT run_id, report_date FROM messages WHERE state = 'bounced' AND bounced_at >= ?) m
       ORDER BY m.report_date`,
    )
    .all(since) as RunBounceRate[];
}
