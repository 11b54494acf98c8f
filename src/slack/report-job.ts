/**
 * The report picture in the channel: /mail-report and the weekly schedule (SCHEDULE_REPORT_CRON).
 * The picture and its alt text are counts only; the comment names the range, nothing else.
 */
import { buildReport, DEFAULT_REPORT_DAYS, type ReportResult } from '../../commands/report.js';
import type { StudyBot } from './study-bot.js';

export async function postReport(bot: StudyBot, actor: string, days = DEFAULT_REPORT_DAYS): Promise<ReportResult> {
  const result = await buildReport(bot.context(actor), { days });
  await bot.poster.uploadPng(
    bot.channel,
    `mail-updater-report-${result.from}_${result.to}.png`,
    result.png,
    result.altText,
    [
      `:bar_chart: *Messages and survey completion, ${result.from} to ${result.to}* (counts only).`,
      ...result.notes.map((n) => `:information_source: ${n}`),
    ].join('\n'),
  );
  return result;
}
