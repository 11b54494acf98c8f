/**
 * Where a click came from. Buttons count only on the messages the bot itself posted: the run's
 * approval request in SLACK_CHANNEL_ID, or the failure reply it threaded under it. A copied
 * button, a forwarded message or a forged payload names another channel or message.
 */
import type { Config } from '../config.js';
import { failureReplyAt } from '../storage/failure-replies.js';
import { getRun } from '../storage/runs.js';
import type { StateDb } from '../storage/state-db.js';
import type { TicketRef } from './views/failures.js';

export interface ClickedOn {
  channel: string | undefined;
  ts: string | undefined;
}

export function clickIsOnRequest(db: StateDb, config: Config, runId: string, where: ClickedOn): boolean {
  const run = getRun(db, runId);
  return (
    run !== undefined &&
    where.channel === config.SLACK_CHANNEL_ID &&
    where.channel === run.slack_channel &&
    where.ts === run.slack_ts
  );
}

export function clickIsOnFailureReply(db: StateDb, ref: TicketRef, where: ClickedOn): boolean {
  const reply = failureReplyAt(db, ref.runId, ref.did);
  return reply !== undefined && where.channel === reply.channel && where.ts === reply.ts;
}
