/** App Home: today's run, the last 7 runs, SMTP health, the next scheduled jobs. */
import type { types } from '@slack/bolt';
import type { DayStatus } from '../../../commands/status.js';
import { type Block, context, countsText, divider, escapeMrkdwn, header, section } from '../blocks.js';

export function homeView(
  status: DayStatus,
  next: { name: string; at: Date | null }[],
  timeZone: string,
): types.HomeView {
  const run = status.run;
  const blocks: Block[] = [
    header('mail-updater'),
    section(
      run === null
        ? `*Today's run* (report date ${status.report_date}): not prepared yet. It is prepared on schedule, or now with \`/mail-dry-run\`.`
        : `*Today's run* (report date ${status.report_date}): *${run.state}*${run.expired ? ' (expired)' : ''}${run.decided_by ? ` · decided by ${escapeMrkdwn(run.decided_by)}` : ''}\n${countsText(run.counts)}`,
    ),
    divider(),
    section(
      status.recent_runs.length === 0
        ? '*Last 7 runs*: none yet.'
        : `*Last 7 runs*\n${status.recent_runs.map((r) => `• ${r.report_date} \`${r.id}\` *${r.state}*: ${countsText(r.counts)}`).join('\n')}`,
    ),
    divider(),
    section(
      status.smtp === null
        ? '*SMTP*: not checked yet (`/mail-status` after the next health check, or `npx mail-updater smtp-check`).'
        : `*SMTP*: ${status.smtp.ok ? ':large_green_circle: OK' : ':red_circle: FAILING'} (checked ${status.smtp.checked_at.slice(0, 16).replace('T', ' ')} UTC)`,
    ),
    section(
      status.last_sync === null
        ? '*Qualtrics sync*: none yet.'
        : `*Qualtrics sync*: ${status.last_sync.ok ? 'OK' : 'FAILED'} at ${status.last_sync.at.slice(0, 16).replace('T', ' ')} UTC`,
    ),
    context(
      `Next scheduled (${escapeMrkdwn(timeZone)}): ${next.map((j) => `${j.name} ${j.at === null ? '—' : j.at.toISOString().slice(0, 16).replace('T', ' ')} UTC`).join(' · ') || 'no schedule running'}`,
    ),
  ];
  return { type: 'home', blocks };
}
