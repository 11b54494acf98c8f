/**
 * The root pino logger. Logs are JSON on stderr (stdout is for human output and --json).
 * Secrets are redacted by key wherever they appear; participants' addresses are never logged in
 * the first place (log DIDs and masked addresses only).
 */
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from 'pino';
import { SECRET_VARIABLES } from './secrets.js';
import { requireCommonJs } from './util/commonjs.js';

/** pino, required when a logger is made (see deferredLogger). */
const pino = (): typeof import('pino').pino => (requireCommonJs('pino') as typeof import('pino')).pino;

export type { Logger };

const redactedKeys = ['pass', 'password', 'token', 'secret', 'authorization', ...SECRET_VARIABLES, 'email', 'to'];

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const paths = redactedKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const stream = typeof destination === 'number' ? pino().destination({ dest: destination, sync: true }) : destination;
  return pino()({ level, base: { app: 'mail-updater' }, redact: { paths, censor: '[redacted]' } }, stream);
}

/** pino's numbers for the levels LOG_LEVEL names. */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};
const dropLine = (): void => undefined;

/**
 * createLogger(level), made at the first line logged at `level` or above: loading pino (about 30
 * modules) was 25–30 ms of every CLI command's start, and most commands log nothing at the
 * default level. Until then, lines below `level`, `level`, `isLevelEnabled` and `child` are
 * answered here; anything else (a line to log, a level set, `in`, the keys) makes the logger and
 * is pino's. A child is made from its parent's logger once the parent has one, so it follows a
 * level set on the parent as pino's children do. (`console.log` of it shows `{}`: Node's inspect
 * looks at a Proxy's target.)
 */
export function deferredLogger(level: string, make: () => Logger = () => createLogger(level)): Logger {
  return deferred(level, make, () => false);
}

function deferred(level: string, make: () => Logger, parentMade: () => boolean): Logger {
  const threshold = LEVEL_VALUES[level] ?? 0;
  let made: Logger | undefined;
  const real = (): Logger => {
    made ??= make();
    return made;
  };
  const isMade = (): boolean => made !== undefined || parentMade();
  return new Proxy({} as Logger, {
    get(_target, property) {
      if (!isMade() && typeof property === 'string') {
        const value = LEVEL_VALUES[property];
        if (value !== undefined && value < threshold) return dropLine;
        if (property === 'level') return level;
        if (property === 'isLevelEnabled') return (asked: string) => (LEVEL_VALUES[asked] ?? 0) >= threshold;
        if (property === 'child')
          return (bindings: Record<string, unknown>, options?: object) =>
            options === undefined
              ? deferred(level, () => real().child(bindings), isMade)
              : real().child(bindings, options);
      }
      const value: unknown = Reflect.get(real(), property);
      return typeof value === 'function' ? value.bind(made) : value;
    },
    set: (_target, property, value) => Reflect.set(real(), property, value),
    has: (_target, property) => Reflect.has(real(), property),
    ownKeys: () => Reflect.ownKeys(real()),
    // Configurable, as the (empty, extensible) target requires of a property it does not have.
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), property);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino()({ level: 'silent' });
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
