/**
 * Threads a run's failures under its approval request. The number of Slack calls is bounded
 * whatever the number of failures: at most FAILURE_REPLY_CAP replies per run, then one summary
 * and one CSV upload per send pass. slack_failure_replies remembers what was posted, so a resumed
 * send adds only the new failures.
 */
import { individualReplyCount, rememberThreaded, threadedFailureDids } from '../storage/failure-replies.js';
import { messagesInState } from '../storage/messages.js';
import type { RunRow } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import type { SlackPoster } from './poster.js';
import { failureReplyBlocks, failureReplyText, failureSummaryBlocks, failuresCsv } from './views/failures.js';

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
  const posted = threadedFailureDids(db, run.id);
  const replied = individualReplyCount(db, run.id);
  const fresh = all.filter((m) => !posted.has(m.did));
  const individually = fresh.slice(0, Math.max(0, FAILURE_REPLY_CAP - replied));
  const rest = fresh.slice(individually.length);

  for (const m of individually) {
    const ts = await poster.post(
      channel,
      { text: failureReplyText(m), blocks: failureReplyBlocks(m, undefined, timeZone) },
      threadTs,
    );
    // Remembered one by one: a crash between two replies never posts the first one twice.
    rememberThreaded(db, run.id, channel, [{ did: m.did, ts }]);
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
    rememberThreaded(
      db,
      run.id,
      channel,
      rest.map((m) => ({ did: m.did, ts: null })),
    );
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
