/**
 * The root pino logger. Logs are JSON on stderr (stdout is for human output and --json).
 * Secrets are redacted by key wherever they appear; participants' addresses are never logged in
 * the first place (log DIDs and masked addresses only).
 */
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger, pino } from 'pino';
import { SECRET_VARIABLES } from './secrets.js';

export type { Logger };

const redactedKeys = ['pass', 'password', 'token', 'secret', 'authorization', ...SECRET_VARIABLES, 'email', 'to'];

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const paths = redactedKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino({ level, base: { app: 'mail-updater' }, redact: { paths, censor: '[redacted]' } }, stream);
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Bolt's and the Web API client's logs go through pino, so they share the redaction and the
 * stderr destination. The SDK logs strings and objects as separate arguments; they are joined
 * into one message. Bolt calls setLevel on construction: it may lower its own chattiness but
 * never raise pino's level above what LOG_LEVEL asked for.
 */
export function slackLogger(logger: Logger): BoltLogger {
  let child = logger.child({ component: 'slack' });
  const text = (msg: unknown[]): string =>
    msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    setLevel: () => undefined,
    getLevel: () => {
      const level = child.level;
      // A type-only import keeps Bolt out of CLI start-up; LogLevel's values are these strings.
      return (
        level === 'debug' || level === 'trace'
          ? 'debug'
          : level === 'info'
            ? 'info'
            : level === 'warn'
              ? 'warn'
              : 'error'
      ) as LogLevel;
    },
    setName: (name) => {
      child = logger.child({ component: `slack:${name}` });
    },
  };
}
