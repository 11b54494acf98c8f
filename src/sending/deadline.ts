import type { Config } from '../config.js';
import { JobRefusedError } from '../errors.js';
import { addDays, localDateTime } from '../util/dates.js';

/**
 * Missed-schedule policy: D's update goes out on D+1 before SEND_DEADLINE (study time zone),
 * never late at night and never days later.
 */
export function sendDeadlinePassed(config: Config, reportDate: string, now: Date): boolean {
  const local = localDateTime(now, config.STUDY_TZ);
  const sendDay = addDays(reportDate, 1);
  if (local.date > sendDay) return true;
  return local.date === sendDay && local.minutesOfDay >= config.sendDeadlineMinutes;
}

export function assertBeforeDeadline(config: Config, reportDate: string, now: Date): void {
  if (!sendDeadlinePassed(config, reportDate, now)) return;
  throw new JobRefusedError(
    `It is past SEND_DEADLINE (${config.SEND_DEADLINE} ${config.STUDY_TZ} on the day after ${reportDate}); ${reportDate}'s updates are not sent any more. Tomorrow's run covers the next day.`,
    'deadline_passed',
  );
}
