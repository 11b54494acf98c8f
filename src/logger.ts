/**
 * The root pino logger. Logs are JSON on stderr (stdout is for human output and --json).
 * Secrets are redacted by key wherever they appear; participants' addresses are never logged in
 * the first place (log DIDs and masked addresses only).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const redactedKeys = [
  'pass',
  'password',
  'token',
  'secret',
  'authorization',
  'SMTP_PASS',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'QUALTRICS_API_TOKEN',
  'email',
  'to',
];

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const paths = redactedKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino({ level, base: { app: 'mail-updater' }, redact: { paths, censor: '[redacted]' } }, stream);
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
