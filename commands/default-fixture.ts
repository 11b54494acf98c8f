/**
 * With no configuration at all, the daily job runs on the bundled fixture: when the compliance DB
 * and roster are at their default paths and missing, they are generated (deterministically).
 * Once any data variable (COMPLIANCE_DB_PATH, PARTICIPANTS_CSV_PATH, ...) is set, nothing is.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandContext } from '../src/command.js';
import { DEFAULT_COMPLIANCE_DB_PATH, DEFAULT_PARTICIPANTS_CSV_PATH } from '../src/config.js';
import { yesterdayIn } from '../src/util/dates.js';

export const FIXTURE_DEFAULTS = { participants: 200, days: 14, seed: 42 } as const;

export async function ensureDefaultFixture(
  ctx: Pick<CommandContext, 'config' | 'now' | 'logger' | 'progress'>,
): Promise<void> {
  const { config } = ctx;
  // A real data setting means a real study: never mix a generated roster or DB into it.
  if ((config.explicitDataVariables ?? []).length > 0) return;
  const dbMissing = config.COMPLIANCE_DB_PATH === DEFAULT_COMPLIANCE_DB_PATH && !existsSync(DEFAULT_COMPLIANCE_DB_PATH);
  const rosterMissing =
    config.PARTICIPANTS_CSV_PATH === DEFAULT_PARTICIPANTS_CSV_PATH && !existsSync(DEFAULT_PARTICIPANTS_CSV_PATH);
  if (!dbMissing && !rosterMissing) return;
  // Loaded only to make the fixture: the generator and its CSV writer are not every command's start-up.
  const { generateFixture } = await import('../fixtures/generate.js');
  const result = generateFixture({
    ...FIXTURE_DEFAULTS,
    endDate: yesterdayIn(config.STUDY_TZ, ctx.now()),
    outDir: dirname(DEFAULT_COMPLIANCE_DB_PATH),
    write: { db: dbMissing, roster: rosterMissing },
  });
  ctx.progress?.(
    `Created the local fixture (${result.participants} participants) in ${dirname(DEFAULT_COMPLIANCE_DB_PATH)}/ because it was missing.`,
  );
  ctx.logger.info({ participants: result.participants }, 'created the default fixture');
}
