/**
 * The few error kinds the entry points map to exit codes. Bad *data* (roster rows, compliance
 * rows) is never thrown: validation returns it as findings. These are for situations where the
 * job cannot run at all.
 */

import { resolve, sep } from 'node:path';

export const ExitCode = {
  ok: 0,
  problemsFound: 1,
  usageOrConfig: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem the user fixes by changing a setting, a flag or a file path. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode: ExitCode = ExitCode.usageOrConfig;
  constructor(
    message: string,
    readonly code = 'usage',
  ) {
    super(message);
  }
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Every configuration problem at once, each naming its variable and the fix. Exit code 2. */
export class ConfigError extends UsageError {
  constructor(
    readonly problems: ConfigProblem[],
    /** Where the settings were read, e.g. "/srv/study/.env and the environment". */
    readonly source?: string,
  ) {
    super(
      [
        `Configuration problems (set these in .env or the environment)${source === undefined ? '' : `; settings were read from ${source}`}:`,
        ...problems.map((p) => `  - ${p.variable}: ${p.message}`),
      ].join('\n'),
      'config',
    );
  }
}

/** The job ran but must stop (another sender holds the day, the run was rejected, ...). Exit code 1. */
export class JobRefusedError extends Error {
  override readonly name = 'JobRefusedError';
  readonly exitCode: ExitCode = ExitCode.problemsFound;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof JobRefusedError) return error.exitCode;
  return ExitCode.usageOrConfig;
}

/** A setting that names a place on disk, for explaining a failed file or database operation. */
export interface PathSetting {
  variable: string;
  path: string;
  /** What to do about it, e.g. "Point OUTBOX_DIR at a folder this user can write". */
  fix: string;
}

const OS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is too large for the file system or the process limit',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'the path is a folder, not a file',
  ENOENT: 'a folder on the path does not exist (or was removed while in use)',
  EEXIST: 'a file with that name is in the way',
  EMFILE: 'too many open files',
  EIO: 'an input/output error from the disk',
  ENAMETOOLONG: 'the name is too long',
};

const SQLITE_REASONS: [prefix: string, reason: string][] = [
  ['SQLITE_BUSY', 'locked by another process (another mail-updater, or a tool with the database open for writing)'],
  ['SQLITE_LOCKED', 'locked by another process (another mail-updater, or a tool with the database open for writing)'],
  ['SQLITE_READONLY', 'read-only (check the permissions of the file and of its folder)'],
  ['SQLITE_FULL', 'the disk is full'],
  ['SQLITE_CANTOPEN', 'the file cannot be opened (check that its folder exists and is writable)'],
  ['SQLITE_IOERR', 'an input/output error from the disk'],
  ['SQLITE_PERM', 'permission denied'],
];

/**
 * A failed write to a path the user named on the command line (`--out`): a usage error naming the
 * path, the OS's reason and `fix`. Anything that is not a file-system error (SQLite's own, a bug)
 * comes back as it was.
 */
export function cannotWrite(what: string, path: string, error: unknown, fix: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || code.startsWith('SQLITE_')) return error;
  const reason = OS_REASONS[code];
  return new UsageError(
    `Cannot write ${what} to ${path} (${code}${reason === undefined ? '' : `: ${reason}`}). ${fix}`,
  );
}

function within(path: string, setting: string): boolean {
  return path === setting || path.startsWith(setting.endsWith(sep) ? setting : `${setting}${sep}`);
}

/**
 * Turns a failed file-system or SQLite operation into an error that names the setting, the OS's
 * reason and the fix (exit code 2), instead of "This is a bug". File errors are matched to the
 * setting whose path holds the failing file; SQLite errors without a path are the state DB's
 * (the compliance DB explains its own). Undefined when the error is not one of these.
 */
export function explainEnvironmentError(
  error: unknown,
  settings: readonly PathSetting[],
  stateDb?: PathSetting,
): UsageError | undefined {
  if (error instanceof UsageError || error instanceof JobRefusedError || !(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return undefined;
  if (code.startsWith('SQLITE_')) {
    const reason = SQLITE_REASONS.find(([prefix]) => code.startsWith(prefix))?.[1];
    if (reason === undefined || stateDb === undefined) return undefined;
    const locked = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
    return new UsageError(
      `The state database ${stateDb.variable}=${stateDb.path} is ${locked || reason.startsWith('read-only') ? '' : 'unusable: '}${reason} (${code}). ${
        locked
          ? 'Wait for the other process to finish (or stop it), then run this again; `npx mail-updater status` shows who is sending.'
          : stateDb.fix
      }`,
      locked ? 'state_db_locked' : 'state_db',
    );
  }
  const reason = OS_REASONS[code];
  const failed = (error as NodeJS.ErrnoException).path;
  if (reason === undefined || failed === undefined) return undefined;
  const absolute = resolve(failed);
  const setting = [...settings]
    .filter((s) => within(absolute, resolve(s.path)))
    .sort((a, b) => resolve(b.path).length - resolve(a.path).length)[0];
  if (setting === undefined) return undefined;
  const syscall = (error as NodeJS.ErrnoException).syscall;
  return new UsageError(
    `Cannot use ${setting.variable}=${setting.path}: ${reason} (${code}${syscall ? ` on ${syscall}` : ''} ${failed}). ${setting.fix}`,
    'environment',
  );
}
