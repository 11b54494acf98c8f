/**
 * The few error kinds the entry points map to exit codes. Bad *data* (roster rows, compliance
 * rows) is never thrown: validation returns it as findings. These are for situations where the
 * job cannot run at all.
 */

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
  constructor(readonly problems: ConfigProblem[]) {
    super(
      [
        'Configuration problems (set these in .env or the environment):',
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
