/**
 * The scheduled daily job: yesterday's dry run and its approval request, unless the day is
 * already in hand (a live request, a decision, a send) or past SEND_DEADLINE.
 */
import { currentRun } from '../runs/ledger.js';
import { sendDeadlinePassed } from '../runs/deadline.js';
import { yesterdayIn } from '../util/dates.js';
import type { StudyBot } from './study-bot.js';

export type DailyJobResult = { posted: true; runId: string } | { posted: false; reason: string };

export async function runDailyJob(bot: StudyBot): Promise<DailyJobResult> {
  const now = bot.now();
  const reportDate = yesterdayIn(bot.config.STUDY_TZ, now);
  if (sendDeadlinePassed(bot.config, reportDate, now)) return { posted: false, reason: `past SEND_DEADLINE for ${reportDate}` };
  const existing = currentRun(bot.db, reportDate);
  if (existing !== undefined) {
    const livePending = existing.state === 'planned' && existing.decided_by === null && existing.slack_ts !== null && Date.parse(existing.expires_at) > now.getTime();
    if (livePending || existing.decided_by !== null || ['sending', 'paused', 'done', 'rejected'].includes(existing.state)) {
      return { posted: false, reason: `${reportDate} already has run ${existing.id} (${existing.state})` };
    }
  }
  const { run } = await bot.prepareAndPost(reportDate, 'schedule');
  return { posted: true, runId: run.id };
}
