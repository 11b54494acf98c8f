/** App Home: today's run, the last 7 runs, SMTP health, the next scheduled jobs. */
import type { types } from '@slack/bolt';
import type { DayStatus } from '../../../commands/status.js';
import { type Block, context, divider, escapeMrkdwn, header, section } from '../blocks.js';
import { adherenceText, healthTexts, recentRunsText, runSummaryText } from './status.js';

export function homeView(
  status: DayStatus,
  next: { name: string; at: Date | null }[],
  timeZone: string,
): types.HomeView {
  const jobs = next.map(
    (j) => `${j.name} ${j.at === null ? '—' : `${j.at.toISOString().slice(0, 16).replace('T', ' ')} UTC`}`,
  );
  const blocks: Block[] = [
    header('mail-updater'),
    section(runSummaryText(status, "Today's run")),
    divider(),
    section(recentRunsText(status)),
    divider(),
    ...adherenceSections(status),
    ...healthTexts(status).map(section),
    context(`Next scheduled (${escapeMrkdwn(timeZone)}): ${jobs.join(' · ') || 'no schedule running'}`),
  ];
  return { type: 'home', blocks };
}

function adherenceSections(status: DayStatus): Block[] {
  const text = adherenceText(status);
  return text === undefined ? [] : [section(text), divider()];
}
