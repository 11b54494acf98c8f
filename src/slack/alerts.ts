/**
 * Scheduled health checks (SCHEDULE_HEALTH_CRON) and the alerts they raise in the channel.
 * A condition alerts once per day (STUDY_TZ), not once per hour: alerts_posted holds the proof.
 */
import { smtpCheck } from '../../commands/smtp-check.js';
import { sendDeadlinePassed } from '../sending/deadline.js';
import { claimAlert, releaseAlert } from '../storage/alerts-posted.js';
import { audit } from '../storage/audit.js';
import { holderIsGone, lockHolder, sendLockName } from '../storage/locks.js';
import { currentRun, INTERRUPTED_REASON, type RunRow, runsInStates } from '../storage/runs.js';
import { localDateTime, yesterdayIn } from '../util/dates.js';
import { escapeMrkdwn, section } from './blocks.js';
import { postOnboardingReminders } from './onboarding.js';
import type { StudyBot } from './study-bot.js';

export interface AlertCondition {
  /** Stable name of the condition; with the day, the key that keeps it to one alert a day. */
  key: string;
  text: string;
}

const PENDING_REMINDER_MINUTES = 120;

function runLink(run: RunRow): string {
  return `run \`${run.id}\` for ${run.report_date}`;
}

/** Everything that is wrong now, each as one condition. */
export async function healthConditions(bot: StudyBot): Promise<AlertCondition[]> {
  const { config, db } = bot;
  const now = bot.now();
  const conditions: AlertCondition[] = [];

  if (config.SMTP_HOST !== undefined) {
    const health = await smtpCheck.run(bot.context('schedule'), {});
    if (health.error !== null)
      conditions.push({
        key: 'smtp_failing',
        text: `:rotating_light: *SMTP check failing*: ${escapeMrkdwn(health.error)}. Check SMTP_HOST, SMTP_PORT and the credentials; run \`npx mail-updater smtp-check\` to retry.`,
      });
    const days = health.days_until_credential_expiry;
    if (days !== null && health.credential_expiring) {
      conditions.push({
        key: 'credential_expiring',
        text:
          days < 0
            ? `:rotating_light: *The SMTP credential expired* ${-days} day(s) ago (${health.credential_expires_at}). Renew it and update SMTP_PASS and SMTP_CREDENTIAL_EXPIRES_AT.`
            : `:warning: *The SMTP credential expires in ${days} day(s)* (${health.credential_expires_at}). Renew it and update SMTP_PASS and SMTP_CREDENTIAL_EXPIRES_AT.`,
      });
    }
  }

  // Yesterday's run is the one due today; remind while there is still time to approve it.
  const due = currentRun(db, yesterdayIn(config.STUDY_TZ, now));
  if (due?.state === 'planned' && due.decided_by === null && !sendDeadlinePassed(config, due.report_date, now)) {
    const minutesLeft = config.sendDeadlineMinutes - localDateTime(now, config.STUDY_TZ).minutesOfDay;
    if (minutesLeft <= PENDING_REMINDER_MINUTES) {
      conditions.push({
        key: `approval_pending:${due.id}`,
        text: `:hourglass_flowing_sand: *Approval still pending* for ${runLink(due)}: ${minutesLeft} minute(s) left before SEND_DEADLINE (${config.SEND_DEADLINE} ${config.STUDY_TZ}). ${config.SLACK_APPROVER_IDS.map((id) => `<@${id}>`).join(' ')}`,
      });
    }
  }

  // Approved runs a restart or crash left unfinished are resumed here; the ones that cannot be
  // (past SEND_DEADLINE, settings missing) are alerted instead of silently waiting.
  for (const { run, reason } of bot.sends.resumeUnfinished())
    conditions.push({
      key: `not_resumed:${run.id}`,
      text: `:rotating_light: *Approved send not finished* for ${runLink(run)}, and the bot cannot resume it: ${escapeMrkdwn(reason)}`,
    });
  for (const run of runsInStates(db, ['sending', 'paused'])) {
    if (run.state === 'paused') {
      if (run.pause_reason === INTERRUPTED_REASON) continue;
      conditions.push({
        key: `run_paused:${run.id}`,
        text: `:double_vertical_bar: *Send paused*: ${runLink(run)}: ${escapeMrkdwn(run.pause_reason ?? 'repeated failures')}. Fix the cause (\`/mail-status ${run.report_date}\`), then press *Resume* on the request (or run \`npx mail-updater send-daily --run ${run.id} --yes\`); nobody gets a second e-mail.`,
      });
      continue;
    }
    if (bot.sends.isSending(run.id)) continue;
    const holder = lockHolder(db, sendLockName(run.report_date));
    if (holder === undefined || holderIsGone(holder, now)) {
      conditions.push({
        key: `run_stuck:${run.id}`,
        text: `:rotating_light: *Send stuck*: ${runLink(run)} is marked as sending but no sender is alive. Run \`npx mail-updater status --date ${run.report_date}\`; \`send-daily --date ${run.report_date} --yes\` continues it (messages in flight become "unknown" and are not re-sent).`,
      });
    }
  }
  return conditions;
}

/** Posts each condition not yet alerted today; returns how many were posted. */
export async function postAlerts(bot: StudyBot, conditions: readonly AlertCondition[]): Promise<number> {
  const day = localDateTime(bot.now(), bot.config.STUDY_TZ).date;
  let posted = 0;
  for (const condition of conditions) {
    if (!claimAlert(bot.db, condition.key, day, bot.now())) continue;
    try {
      await bot.poster.post(bot.channel, { text: condition.text, blocks: [section(condition.text)] });
      audit(bot.db, { actor: 'schedule', action: 'alert_posted', detail: { condition: condition.key } }, bot.now());
      posted++;
    } catch (error) {
      // Not posted, so not "alerted today": the next check tries again.
      releaseAlert(bot.db, condition.key, day);
      bot.logger.error({ condition: condition.key, error: (error as Error).message }, 'could not post an alert');
    }
  }
  return posted;
}

export async function runHealthChecks(bot: StudyBot): Promise<number> {
  const posted = await postAlerts(bot, await healthConditions(bot));
  // Bounces and opt-outs recorded while the bot was away (a CLI check, the unsubscribe page).
  bot.slackSync.kick();
  try {
    await postOnboardingReminders(bot);
  } catch (error) {
    // A missing roster or compliance file is alerted elsewhere; the next check tries again.
    bot.logger.error({ error: (error as Error).message }, 'could not post the onboarding reminder');
  }
  return posted;
}
