/**
 * Bounces and opt-outs, told to the team from the stored state. Whoever recorded them (the
 * scheduled check, /mail-bounces, a CLI shell, the unsubscribe page), the bot posts here what has
 * not been posted yet, after every Slack sync drain (slack-sync.ts) and so within a poll:
 *   - each hard bounce as a reply in its run's request thread, shaped like a send failure (DID,
 *     status, masked diagnostic, "Ticket filed"); past FAILURE_REPLY_CAP one summary and a CSV;
 *     the request itself is re-rendered so its counts say "2 bounced later";
 *   - each opt-out as one channel post, by DID;
 *   - a run whose hard bounces exceed BOUNCE_ALERT_PERCENT of what it sent: one alert per run.
 * What was posted is remembered item by item, right after each post (storage/notices.ts): a
 * re-run posts nothing twice, and a crash can at worst repeat the one post in flight, never lose it.
 */
import { claimAlert, releaseAlert } from '../storage/alerts-posted.js';
import { audit } from '../storage/audit.js';
import {
  bouncedMessages,
  bounceRates,
  individualBounceReplies,
  markOptOutNoticed,
  optOutsToNotice,
  rememberBounceNoticed,
  runsWithBouncesToNotice,
} from '../storage/notices.js';
import type { RunRow } from '../storage/runs.js';
import { escapeMrkdwn, section } from './blocks.js';
import type { BotCore } from './bot-core.js';
import { FAILURE_REPLY_CAP } from './failure-thread.js';
import { failureReplyBlocks, failureReplyText, failureSummaryBlocks, failuresCsv } from './views/failures.js';

/** Bounces recorded longer ago than this are not looked at again for the bounce-rate alert. */
const BOUNCE_RATE_WINDOW_DAYS = 14;

export interface NoticesPosted {
  bounceReplies: number;
  bouncesSummarised: number;
  optOuts: number;
  alerts: number;
}

export function optOutText(did: string): string {
  return `${did} asked to stop the daily e-mails. This is not a withdrawal from the study: follow up.`;
}

export function bounceRateText(runId: string, reportDate: string, bounced: number, wentOut: number, limit: number) {
  const percent = Math.round((1000 * bounced) / wentOut) / 10;
  return `:rotating_light: *Bounce rate ${percent}%* for ${reportDate} (run \`${runId}\`): ${bounced} of ${wentOut} sent message(s) bounced, above BOUNCE_ALERT_PERCENT (${limit}%). The relay may be blocklisted: check its reputation and the bounces' diagnostics in the request's thread before the next send.`;
}

/** Posts every notice not yet posted; throws on the first Slack error (the next drain retries). */
export async function postPendingNotices(bot: BotCore): Promise<NoticesPosted> {
  const posted: NoticesPosted = { bounceReplies: 0, bouncesSummarised: 0, optOuts: 0, alerts: 0 };
  for (const run of runsWithBouncesToNotice(bot.db)) {
    if (bot.stopping) return posted;
    const r = await threadBounces(bot, run);
    posted.bounceReplies += r.replies;
    posted.bouncesSummarised += r.summarised;
    await bot.refreshRequest(run.id);
  }
  posted.alerts += await alertBounceRates(bot);
  posted.optOuts += await postOptOuts(bot);
  return posted;
}

/** The run's hard bounces not yet in its thread: one reply each up to the cap, then a summary + CSV. */
async function threadBounces(bot: BotCore, run: RunRow): Promise<{ replies: number; summarised: number }> {
  const channel = run.slack_channel!;
  const threadTs = run.slack_ts!;
  const all = bouncedMessages(bot.db, run.id);
  const fresh = all.filter((m) => m.bounce_noticed_at === null);
  const room = Math.max(0, FAILURE_REPLY_CAP - individualBounceReplies(bot.db, run.id));
  const individually = fresh.slice(0, room);
  const rest = fresh.slice(individually.length);
  for (const m of individually) {
    const ts = await bot.poster.post(
      channel,
      { text: failureReplyText(m), blocks: failureReplyBlocks(m, undefined, bot.config.STUDY_TZ) },
      threadTs,
    );
    // One by one: a crash between two replies never posts the first one twice.
    rememberBounceNoticed(bot.db, run.id, channel, [{ did: m.did, ts }], bot.now());
  }
  if (rest.length > 0) {
    await bot.poster.post(
      channel,
      {
        text: `${rest.length} more bounced message(s); CSV attached.`,
        blocks: failureSummaryBlocks(rest, all.length, FAILURE_REPLY_CAP, 'bounced'),
      },
      threadTs,
    );
    rememberBounceNoticed(
      bot.db,
      run.id,
      channel,
      rest.map((m) => ({ did: m.did, ts: null })),
      bot.now(),
    );
    await bot.poster.uploadCsv(
      channel,
      threadTs,
      `bounces-${run.report_date}-${run.id}.csv`,
      failuresCsv(all),
      `All ${all.length} bounces of run ${run.id}.`,
    );
  }
  if (individually.length + rest.length > 0)
    bot.logger.info(
      { run_id: run.id, replies: individually.length, summarised: rest.length },
      'bounces threaded under the request',
    );
  return { replies: individually.length, summarised: rest.length };
}

async function alertBounceRates(bot: BotCore): Promise<number> {
  const channel = bot.config.SLACK_CHANNEL_ID;
  if (channel === undefined) return 0;
  const limit = bot.config.BOUNCE_ALERT_PERCENT;
  const since = new Date(bot.now().getTime() - BOUNCE_RATE_WINDOW_DAYS * 86_400_000).toISOString();
  let alerts = 0;
  for (const rate of bounceRates(bot.db, since)) {
    if (rate.went_out === 0 || rate.bounced * 100 <= limit * rate.went_out) continue;
    // Once per run: the report date is the day, the run the condition.
    const key = `bounce_rate:${rate.run_id}`;
    if (!claimAlert(bot.db, key, rate.report_date, bot.now())) continue;
    const text = bounceRateText(rate.run_id, rate.report_date, rate.bounced, rate.went_out, limit);
    try {
      await bot.poster.post(channel, { text, blocks: [section(text)] });
    } catch (error) {
      releaseAlert(bot.db, key, rate.report_date);
      throw error;
    }
    audit(
      bot.db,
      {
        actor: 'bot',
        action: 'alert_posted',
        runId: rate.run_id,
        reportDate: rate.report_date,
        detail: { condition: 'bounce_rate', bounced: rate.bounced, sent: rate.went_out },
      },
      bot.now(),
    );
    alerts++;
  }
  return alerts;
}

async function postOptOuts(bot: BotCore): Promise<number> {
  const channel = bot.config.SLACK_CHANNEL_ID;
  if (channel === undefined) return 0;
  let posted = 0;
  for (const optOut of optOutsToNotice(bot.db)) {
    if (bot.stopping) break;
    // Posted, then marked (as failure replies are): one drain at a time posts (slack-sync.ts), and
    // a crash between the two repeats this one post rather than lose it: the team must follow up.
    const text = optOutText(optOut.did);
    await bot.poster.post(channel, { text, blocks: [section(`:no_bell: ${escapeMrkdwn(text)}`)] });
    markOptOutNoticed(bot.db, optOut.id, bot.now());
    posted++;
  }
  return posted;
}
