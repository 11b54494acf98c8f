/**
 * `serve` (`npm start`): the Slack bot and the scheduler in one process. Without Slack settings
 * it exits 2 naming what to set. SIGTERM / SIGINT stop taking new work, let a send finish the
 * message in flight (the ledger stays consistent), and exit 0.
 */
import { checkBounces } from './bounces/check.js';
import { openBounceMailbox } from './bounces/imap-mailbox.js';
import type { Env } from './config.js';
import { type Config, loadConfig } from './config.js';
import { ConfigError, type ConfigProblem, ExitCode } from './errors.js';
import { createLogger } from './logger.js';
import { type JobSpec, type Scheduler, startScheduler, validateSchedules } from './schedule.js';
import { acquireLock, type HeldLock, SERVE_LOCK_NAME } from './storage/locks.js';
import { openStateDb } from './storage/state-db.js';

export function slackSettingsProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.SLACK_BOT_TOKEN === undefined)
    problems.push({
      variable: 'SLACK_BOT_TOKEN',
      message: 'is not set; copy the Bot User OAuth Token (xoxb-...) from the Slack app\'s "OAuth & Permissions" page.',
    });
  if (config.SLACK_SIGNING_SECRET === undefined && config.SLACK_APP_TOKEN === undefined) {
    problems.push({
      variable: 'SLACK_SIGNING_SECRET',
      message: 'is not set; copy it from the app\'s "Basic Information" page (or set SLACK_APP_TOKEN for Socket Mode).',
    });
  }
  if (config.SLACK_CHANNEL_ID === undefined)
    problems.push({
      variable: 'SLACK_CHANNEL_ID',
      message: 'is not set; use the channel ID (C...) where approval requests go.',
    });
  if (config.SLACK_APPROVER_IDS.length === 0)
    problems.push({
      variable: 'SLACK_APPROVER_IDS',
      message: 'is not set; list the Slack user IDs (U...) who may approve sends.',
    });
  return problems;
}

const SERVE_REFUSAL_FIX =
  'Two bots on one state database would both post requests and send. Stop that one first (or give this one its own STATE_DB_PATH); ' +
  'if it was killed, start this one again: a holder whose process is gone is taken over.';

/** `settingsSource`: where the settings were read (said at start-up: .env is relative to the current directory). */
export async function serve(env: Env, settingsSource?: string): Promise<number> {
  const config = loadConfig(env);
  const problems = slackSettingsProblems(config);
  if (config.SCHEDULE_SYNC_CRON !== undefined && !config.qualtricsConfigured) {
    const { qualtricsSettings } = await import('./qualtrics/sync.js');
    try {
      qualtricsSettings(config);
    } catch (error) {
      problems.push(
        ...(error as ConfigError).problems.map((p) => ({
          ...p,
          message: `${p.message} (SCHEDULE_SYNC_CRON is set, so the sync needs it.)`,
        })),
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const logger = createLogger(config.LOG_LEVEL).child({ command: 'serve' });
  // Loaded only here: the CLI commands do not pay for Bolt at start-up.
  const { checkBotToken, createSlackApp } = await import('./slack/app.js');
  const { runHealthChecks } = await import('./slack/alerts.js');
  const { runDailyJob } = await import('./slack/daily-job.js');
  const { runSyncJob } = await import('./slack/sync-job.js');
  const { postReport } = await import('./slack/report-job.js');

  const db = openStateDb(config.STATE_DB_PATH);
  // One bot per state DB, held with a heartbeat for as long as this one serves; a bot that was
  // killed (SIGKILL, power cut) is taken over by the next one to start.
  let lease: HeldLock;
  try {
    lease = acquireLock(db, SERVE_LOCK_NAME, () => new Date(), SERVE_REFUSAL_FIX);
  } catch (error) {
    db.close();
    throw error;
  }
  try {
    // Before Bolt is created: its own start-up call with a refused token would end the process unexplained.
    await checkBotToken(config, logger);
  } catch (error) {
    lease.release();
    db.close();
    throw error;
  }
  let scheduler: Scheduler | undefined;
  const slack = createSlackApp({ config, logger, db, nextJobs: () => scheduler?.next() ?? [] });
  const jobs: JobSpec[] = [
    {
      name: 'daily',
      variable: 'SCHEDULE_DAILY_CRON',
      cron: config.SCHEDULE_DAILY_CRON,
      run: () => runDailyJob(slack.bot).then((r) => logger.info({ result: r }, 'daily job')),
    },
    {
      name: 'health',
      variable: 'SCHEDULE_HEALTH_CRON',
      cron: config.SCHEDULE_HEALTH_CRON,
      run: () => runHealthChecks(slack.bot),
    },
    {
      name: 'report',
      variable: 'SCHEDULE_REPORT_CRON',
      cron: config.SCHEDULE_REPORT_CRON,
      run: () =>
        postReport(slack.bot, 'schedule').then((r) => logger.info({ from: r.from, to: r.to }, 'report posted')),
    },
    ...(config.SCHEDULE_SYNC_CRON !== undefined
      ? [
          {
            name: 'qualtrics-sync',
            variable: 'SCHEDULE_SYNC_CRON',
            cron: config.SCHEDULE_SYNC_CRON,
            run: () => runSyncJob(slack.bot),
          },
        ]
      : []),
    ...(config.SCHEDULE_BOUNCE_CRON !== undefined
      ? [
          {
            name: 'check-bounces',
            variable: 'SCHEDULE_BOUNCE_CRON',
            cron: config.SCHEDULE_BOUNCE_CRON,
            run: () =>
              checkBounces(
                {
                  db,
                  config,
                  logger,
                  now: () => new Date(),
                  actor: 'schedule',
                  openMailbox: (maxBytes) => openBounceMailbox(config, maxBytes),
                },
                { dryRun: false },
              ).then(() => {
                // What it recorded is posted from the stored state by the next drain: now.
                slack.bot.slackSync.kick();
              }),
          },
        ]
      : []),
  ];
  validateSchedules(jobs);

  // One bad event must never take the bot down with the day's approval still pending.
  process.on('unhandledRejection', (error) =>
    logger.error({ error: (error as Error)?.message ?? String(error) }, 'unhandled rejection (bot keeps running)'),
  );
  const port = await slack.start();
  slack.health.schedulerStarted();
  scheduler = startScheduler(jobs, config.STUDY_TZ, logger, () => slack.health.schedulerTick());
  logger.info(
    { port, host: config.HOST, mode: config.SLACK_APP_TOKEN ? 'socket' : 'http' },
    'mail-updater bot running',
  );
  process.stderr.write(
    `mail-updater bot running (${config.SLACK_APP_TOKEN ? 'Socket Mode' : `HTTP on ${config.HOST}:${port}, POST /slack/events`}; GET /healthz, GET /metrics)${settingsSource === undefined ? '' : `; settings from ${settingsSource}`}. Stop with Ctrl-C or SIGTERM.\n`,
  );

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) process.exit(ExitCode.problemsFound);
      process.stderr.write(
        `${signal}: no new work; finishing what is in flight, then stopping (again to stop at once).\n`,
      );
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await scheduler.stop();
  await slack.stop();
  lease.release();
  db.close();
  logger.info('mail-updater bot stopped');
  return ExitCode.ok;
}
