/** `status`'s result as Block Kit: what /mail-status answers and App Home shows. */
import type { DayStatus } from '../../../commands/status.js';
import { ADHERENCE_DAYS, adherenceLine } from '../../../commands/status-adherence.js';
import { type Block, countsText, divider, escapeMrkdwn, section } from '../blocks.js';

const utc = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function runSummaryText(status: DayStatus, title: string): string {
  const run = status.run;
  if (run === null) {
    return `*${title}* (report date ${status.report_date}): not prepared yet. It is prepared on schedule, or now with \`/mail-dry-run\`.`;
  }
  const decided = run.decided_by ? ` · decided by ${escapeMrkdwn(run.decided_by)}` : '';
  return `*${title}* (report date ${status.report_date}): *${run.state}*${run.expired ? ' (expired)' : ''}${decided}${run.pause_reason ? `\nPaused: ${escapeMrkdwn(run.pause_reason)}` : ''}\n${countsText(run.counts)}`;
}

export function recentRunsText(status: DayStatus): string {
  if (status.recent_runs.length === 0) return '*Last 7 runs*: none yet.';
  const lines = status.recent_runs.map((r) => `• ${r.report_date} \`${r.id}\` *${r.state}*: ${countsText(r.counts)}`);
  return `*Last 7 runs*\n${lines.join('\n')}`;
}

export function healthTexts(status: DayStatus): string[] {
  return [
    status.smtp === null
      ? '*SMTP*: not checked yet (`/mail-status` after the next health check, or `npx mail-updater smtp-check`).'
      : `*SMTP*: ${status.smtp.ok ? ':large_green_circle: OK' : ':red_circle: FAILING'} (checked ${utc(status.smtp.checked_at)})`,
    status.last_sync === null
      ? '*Qualtrics sync*: none yet.'
      : `*Qualtrics sync*: ${status.last_sync.ok ? 'OK' : 'FAILED'} at ${utc(status.last_sync.at)}`,
  ];
}

/** Who could not be reached next to the survey completion of who was (undefined: nothing to show). */
export function adherenceText(status: DayStatus): string | undefined {
  if (status.adherence === null) return '*Reach and adherence*: the compliance DB could not be read.';
  if (status.adherence === undefined || status.adherence.days.length === 0) return undefined;
  const lines = status.adherence.days.map((d) => `• ${escapeMrkdwn(adherenceLine(d))}`);
  return `*Reach and adherence, last ${ADHERENCE_DAYS} days*: participants we could not reach are not counted as non-compliant\n${lines.join('\n')}`;
}

export function statusBlocks(status: DayStatus): Block[] {
  const run = status.run;
  const failures =
    run === null || run.failures.length + run.unknown_dids.length === 0
      ? []
      : [
          section(
            [
              ...run.failures
                .slice(0, 10)
                .map((f) => `• FAILED \`${escapeMrkdwn(f.did)}\`: ${escapeMrkdwn(f.error ?? '')}`),
              ...(run.failures.length > 10 ? [`…and ${run.failures.length - 10} more failed`] : []),
              ...(run.unknown_dids.length > 0
                ? [`• Outcome unknown: ${run.unknown_dids.slice(0, 20).map(escapeMrkdwn).join(', ')}`]
                : []),
            ].join('\n'),
          ),
        ];
  return [
    section(runSummaryText(status, `Status for ${status.report_date}`)),
    ...failures,
    divider(),
    ...healthTexts(status).map(section),
    divider(),
    section(recentRunsText(status)),
    ...adherenceBlocks(status),
  ];
}

function adherenceBlocks(status: DayStatus): Block[] {
  const text = adherenceText(status);
  return text === undefined ? [] : [divider(), section(text)];
}
