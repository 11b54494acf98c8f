import { generateFixture } from '../fixtures/generate.js';
import { defineCommand } from '../src/command.js';
import { cannotWrite, ExitCode, UsageError } from '../src/errors.js';
import { isIsoDate, yesterdayIn } from '../src/util/dates.js';
import { FIXTURE_DEFAULTS } from './default-fixture.js';
import { noPositionals } from './options.js';

function positiveInt(value: string | boolean | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max} (got "${String(value)}").`);
  return n;
}

function outDir(value: string | boolean | undefined): string {
  if (value === undefined) return 'fixtures';
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError('--out must name a folder for the fixture (e.g. --out fixtures).');
  return value;
}

export const createFixture = defineCommand({
  name: 'create-fixture',
  summary: 'Generate a realistic compliance DB + roster for local development (deterministic).',
  usage: 'create-fixture [--participants N] [--days K] [--out DIR] [--seed S] [--end-date YYYY-MM-DD]',
  flags: {
    participants: {
      type: 'string',
      description: `how many participants (default ${FIXTURE_DEFAULTS.participants}, at most 100000)`,
    },
    days: { type: 'string', description: `days of data up to the end date (default ${FIXTURE_DEFAULTS.days})` },
    out: { type: 'string', description: 'output folder (default fixtures)' },
    seed: { type: 'string', description: `random seed (default ${FIXTURE_DEFAULTS.seed})` },
    'end-date': { type: 'string', description: 'last day with data (default yesterday in STUDY_TZ)' },
  },
  parse(flags, positionals, ctx) {
    noPositionals(positionals);
    const endDate =
      typeof flags['end-date'] === 'string' ? flags['end-date'] : yesterdayIn(ctx.config.STUDY_TZ, ctx.now());
    if (!isIsoDate(endDate)) throw new UsageError(`--end-date must be a date YYYY-MM-DD (got "${endDate}").`);
    return {
      participants: positiveInt(flags.participants, 'participants', FIXTURE_DEFAULTS.participants, 100_000),
      days: positiveInt(flags.days, 'days', FIXTURE_DEFAULTS.days, 3660),
      seed: positiveInt(flags.seed, 'seed', FIXTURE_DEFAULTS.seed, 2 ** 31),
      outDir: outDir(flags.out),
      endDate,
    };
  },
  async run(ctx, options) {
    ctx.progress?.(`generating ${options.participants} participants x ${options.days} days ...`);
    try {
      return { options, result: generateFixture(options) };
    } catch (error) {
      throw cannotWrite(
        'the fixture',
        `--out ${options.outDir}`,
        error,
        'Name a folder this user can write (it is created if missing).',
      );
    }
  },
  exitCode: () => ExitCode.ok,
  json: ({ options, result }) => ({
    db: result.dbPath,
    roster: result.rosterPath,
    participants: result.participants,
    compliance_rows: result.rows,
    end_date: options.endDate,
    planted: result.planted,
  }),
  text: ({ options, result }) => {
    const p = result.planted;
    return [
      `Wrote ${result.dbPath} (${result.rows} compliance rows, ${options.days} days up to ${options.endDate}) and ${result.rosterPath} (${result.participants} participants).`,
      `Planted for testing: paused ${p.paused}, withdrawn ${p.withdrawn}, opted out ${p.optedOut}, no data on ${options.endDate}: ${p.noDataOnLastDay},`,
      `  roster typo ${p.typoInRoster.roster} (the database has ${p.typoInRoster.database}).`,
    ].join('\n');
  },
});
