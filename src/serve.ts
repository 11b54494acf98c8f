/**
 * `serve`: the Slack bot and the scheduler. Until the Slack front end lands it only checks its
 * settings, so `npm start` says exactly what to set.
 */
import type { Env } from './config.js';
import { loadConfig } from './config.js';
import { ConfigError, ExitCode } from './errors.js';

export async function serve(env: Env): Promise<number> {
  const config = loadConfig(env);
  const problems = [];
  if (config.SLACK_BOT_TOKEN === undefined) problems.push({ variable: 'SLACK_BOT_TOKEN', message: 'is not set; copy the Bot User OAuth Token (xoxb-...) from the Slack app\'s "OAuth & Permissions" page.' });
  if (config.SLACK_SIGNING_SECRET === undefined && config.SLACK_APP_TOKEN === undefined) {
    problems.push({ variable: 'SLACK_SIGNING_SECRET', message: 'is not set; copy it from the app\'s "Basic Information" page (or set SLACK_APP_TOKEN for Socket Mode).' });
  }
  if (config.SLACK_CHANNEL_ID === undefined) problems.push({ variable: 'SLACK_CHANNEL_ID', message: 'is not set; use the channel ID (C...) where approval requests go.' });
  if (config.SLACK_APPROVER_IDS.length === 0) problems.push({ variable: 'SLACK_APPROVER_IDS', message: 'is not set; list the Slack user IDs (U...) who may approve sends.' });
  if (problems.length > 0) throw new ConfigError(problems);
  process.stderr.write('The Slack bot is not part of this release yet; use the CLI commands (npx mail-updater --help).\n');
  return ExitCode.usageOrConfig;
}
