import { existsSync } from 'node:fs';
import { defineCommand } from '../src/command.js';
import { ExitCode } from '../src/errors.js';
import { countFindings, describeFinding, type Finding } from '../src/finding.js';
import { suppressionIndex } from '../src/storage/suppressions.js';
import { seenRecorder } from '../src/validation/onboarding.js';
import { type DayValidation, validateDay } from '../src/validation/validate-day.js';
import { ensureDefaultFixture } from './default-fixture.js';
import { dateFlag, jsonFlag, reportDateOption } from './options.js';

/** At most this many findings of one code are printed; --json always has them all. */
const PER_CODE_LIMIT = 20;

export function summariseParticipants(validation: DayValidation): Record<string, number> {
  return validation.participants.counts();
}

/** `values`: quote the offending roster cells (the CLI); Slack gets the value-free form. */
export function renderFindingsText(findings: readonly Finding[], values = true): string[] {
  const lines: string[] = [];
  const byCode = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.severity}:${f.code}`;
    const group = byCode.get(key) ?? [];
    group.push(f);
    byCode.set(key, group);
  }
  const ordered = [...byCode.entries()].sort(([a], [b]) =>
    a.startsWith('error') === b.startsWith('error') ? a.localeCompare(b) : a.startsWith('error') ? -1 : 1,
  );
  for (const [, group] of ordered) {
    for (const f of group.slice(0, PER_CODE_LIMIT)) lines.push(`  ${describeFinding(f, { values })}`);
    if (group.length > PER_CODE_LIMIT)
      lines.push(`  ... and ${group.length - PER_CODE_LIMIT} more ${group[0]!.code} (use --json for all)`);
  }
  return lines;
}

export function validationText(validation: DayValidation, values = true): string {
  const counts = countFindings(validation.findings);
  const participants = summariseParticipants(validation);
  const ok = counts.errors === 0;
  return [
    `Validation for ${validation.reportDate}: ${ok ? 'OK' : 'PROBLEMS FOUND'} — ${counts.errors} error(s), ${counts.warnings} warning(s).`,
    `Roster: ${validation.roster.rows.length} row(s); compliance rows for ${validation.reportDate}: ${validation.day.didCount}.`,
    `Participants: ${participants.eligible} to e-mail, ${participants.skipped} skipped, ${participants.blocked} blocked.`,
    ...(validation.runBlocked ? ['The whole run is blocked until the errors marked "run" below are fixed.'] : []),
    ...renderFindingsText(validation.findings, values),
  ].join('\n');
}

function validationJson(validation: DayValidation): unknown {
  const counts = countFindings(validation.findings);
  return {
    report_date: validation.reportDate,
    ok: counts.errors === 0,
    run_blocked: validation.runBlocked,
    counts: {
      ...counts,
      roster_rows: validation.roster.rows.length,
      compliance_rows: validation.day.didCount,
      ...summariseParticipants(validation),
    },
    errors: validation.findings.filter((f) => f.severity === 'error'),
    warnings: validation.findings.filter((f) => f.severity === 'warning'),
    fields: [...validation.availableFields].sort(),
    query: validation.query.source,
    templates: validation.templates.source,
  };
}

export const validateParticipants = defineCommand({
  name: 'validate-participants',
  summary: 'Check the roster and the compliance data for a report date.',
  usage: 'validate-participants [--date YYYY-MM-DD] [--json]',
  slash: '/mail-validate',
  flags: { date: dateFlag, json: jsonFlag },
  parse: (flags, positionals, ctx) => ({ reportDate: reportDateOption(flags, positionals, ctx) }),
  async run(ctx, options) {
    await ensureDefaultFixture(ctx);
    // Suppressions (bounces, opt-outs) live in the state DB; a fresh checkout has none yet.
    const suppressed = existsSync(ctx.config.STATE_DB_PATH) ? suppressionIndex(ctx.stateDb()) : undefined;
    return validateDay(ctx.config, options.reportDate, {
      ...(suppressed === undefined ? {} : { suppressed }),
      onActive: seenRecorder(ctx.stateDb(), ctx.config, ctx.now()),
    });
  },
  exitCode: (validation) => (countFindings(validation.findings).errors === 0 ? ExitCode.ok : ExitCode.problemsFound),
  text: (validation) => validationText(validation),
  json: validationJson,
});
