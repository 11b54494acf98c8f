/** Option parsing shared by several commands. */

import type { Config } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { isIsoDate, yesterdayIn } from '../src/util/dates.js';

export const dateFlag = {
  type: 'string',
  description: 'report date YYYY-MM-DD (default: yesterday in STUDY_TZ)',
} as const;
export const jsonFlag = { type: 'boolean', description: 'print one JSON document on stdout' } as const;

/** --date D (or a positional D, as Slack passes it); yesterday in STUDY_TZ by default. */
export function reportDateOption(
  flags: Record<string, string | boolean | undefined>,
  positionals: string[],
  ctx: { config: Config; now: () => Date },
): string {
  const given = typeof flags.date === 'string' ? flags.date : positionals[0];
  if (given === undefined) return yesterdayIn(ctx.config.STUDY_TZ, ctx.now());
  if (!isIsoDate(given))
    throw new UsageError(
      `"${given}" is not a date. Give the report date as YYYY-MM-DD, e.g. --date ${yesterdayIn(ctx.config.STUDY_TZ, ctx.now())}.`,
    );
  return given;
}

export function noPositionals(positionals: string[], allowed = 0): void {
  if (positionals.length > allowed) throw new UsageError(`Unexpected argument "${positionals[allowed]}". See --help.`);
}
