/**
 * The scheduled daily job: yesterday's dry run and its approval request, unless the day is
 * already in hand (a live request, a decision, a send) or past SEND_DEADLINE.
 */

import { sendDeadlinePassed } from '../sending/deadline.js';
import { currentRun } from '../storage/runs.js';
import { yesterdayIn } from '../util/dates.js';
import { postAlerts } from './alerts.js';
import { escapeMrkdwn } from './blocks.js';
import type { StudyBot } from './study-bot.js';

export type DailyJobResult = { posted: true; runId: string } | { posted: false; reason: string; alerted?: boolean };

export async function runDailyJob(bot: StudyBot): Promise<DailyJobResult> {
  const now = bot.now();
  const reportDate = yesterdayIn(bot.config.STUDY_TZ, now);
  if (sendDeadlinePassed(bot.config, reportDate, now))
    return { posted: false, reason: `past SEND_DEADLINE for ${reportDate}` };
  const existing = currentRun(bot.db, reportDate);
  if (existing !== undefined) {
    const livePending =
      existing.state === 'planned' &&
      existing.decided_by === null &&
      existing.slack_ts !== null &&
      Date.parse(existing.expires_at) > now.getTime();
    if (
      livePending ||
      existing.decided_by !== null ||
      ['sending', 'paused', 'done', 'rejected'].includes(existing.state)
    ) {
      return { posted: false, reason: `${reportDate} already has run ${existing.id} (${existing.state})` };
    }
  }
  try {
    const { run } = await bot.prepareAndPost(reportDate, 'schedule');
    return { posted: true, runId: run.id };
  } catch (error) {
    // Nobody is waiting at a terminal: without this alert the team would only see no request.
    const message = (error as Error).message;
    const text = `:rotating_light: *The daily run for ${reportDate} could not be prepared*: ${escapeMrkdwn(message)}\nFix the cause, then run \`/mail-dry-run ${reportDate}\` for the approval request.`;
    return {
      posted: false,
      reason: message,
      alerted: (await postAlerts(bot, [{ key: `daily_job_failed:${reportDate}`, text }])) > 0,
    };
  }
}
