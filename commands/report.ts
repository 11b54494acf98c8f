/**
 * `report`: the last weeks as one picture (messages by outcome, survey completion), written as a
 * PNG and summed up in its alt text. Counts only: no DID, name or address in either. The renderer
 * is loaded on demand: it is heavy, and no other command needs it.
 */
import { closeSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type CommandContext, defineCommand } from '../src/command.js';
import { openComplianceDb } from '../src/compliance/db.js';
import { cannotWrite, ExitCode, UsageError } from '../src/errors.js';
import { aggregateReportWithSource } from '../src/report/aggregate.js';
import type { ReportDay } from '../src/report/model.js';
import { addDays, yesterdayIn } from '../src/util/dates.js';
import { ensurePrivateDir, writeFileAtomically } from '../src/util/fs.js';
import { jsonFlag, noPositionals } from './options.js';

export const DEFAULT_REPORT_DAYS = 14;
export const MAX_REPORT_WEEKS = 52;

export interface ReportOptions {
  /** Days shown, ending yesterday in STUDY_TZ. */
  days: number;
  out?: string;
}

export interface ReportResult {
  from: string;
  to: string;
  path: string;
  png: Buffer;
  width: number;
  height: number;
  altText: string;
  days: readonly ReportDay[];
  warnings: string[];
  /** What the reader must know to read the numbers right (where completion came from). */
  notes: string[];
}

/**
 * Survey completion comes from the compliance query's row each e-mail was made from (recorded
 * in the ledger). Where the ledger has none, the daily_compliance table stands in: the same for
 * the built-in query, not for a custom one, so a custom-query study is told how many.
 */
export function completionSourceNote(queryPath: string | undefined, fromTable: number): string[] {
  if (queryPath === undefined || fromTable === 0) return [];
  return [
    `Survey completion of ${fromTable} participant-day(s) is from the daily_compliance table, not from COMPLIANCE_QUERY_PATH=${queryPath} ` +
      "as in the e-mails: those messages were planned before the query's numbers were recorded, or the query returns no surveys_completed/surveys_expected columns.",
  ];
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * `--out` may replace an earlier report (a PNG), nothing else: a mistyped path must not overwrite
 * a file that is not ours. Its folder must exist (a typo should not create folders).
 */
function refuseToClobber(path: string): void {
  const where = `--out ${path}`;
  const folder = dirname(resolve(path));
  let folderIsDir = false;
  try {
    folderIsDir = statSync(folder).isDirectory();
  } catch {
    // missing: said below
  }
  if (!folderIsDir)
    throw new UsageError(`${where}: ${folder} does not exist or is not a folder. Create it, or choose another --out.`);
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return; // a new file
  }
  if (stat.isSymbolicLink())
    throw new UsageError(`${where} is a symbolic link; name a regular file (a link is never written through).`);
  if (!stat.isFile())
    throw new UsageError(
      `${where} is ${stat.isDirectory() ? 'a folder' : 'not a regular file'}; name the PNG file to write, e.g. ${join(path, 'report.png')}.`,
    );
  if (!startsWithPngSignature(path))
    throw new UsageError(
      `${where} exists and is not a PNG image; report only replaces an earlier report. Choose another name, or move that file away.`,
    );
}

function startsWithPngSignature(path: string): boolean {
  const head = Buffer.alloc(PNG_SIGNATURE.length);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new UsageError(
      `--out ${path} exists and cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}), so it cannot be checked to be an earlier report. Choose another --out.`,
    );
  }
  return head.equals(PNG_SIGNATURE);
}

export function parseWeeks(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_REPORT_DAYS;
  // Digits only: Number() would also take "0x10", "1e1" and " 2 " as counts of weeks.
  const n = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPORT_WEEKS)
    throw new UsageError(`--weeks must be a whole number from 1 to ${MAX_REPORT_WEEKS} (got "${String(value)}").`);
  return n * 7;
}

export async function buildReport(ctx: CommandContext, options: ReportOptions): Promise<ReportResult> {
  const { config } = ctx;
  const to = yesterdayIn(config.STUDY_TZ, ctx.now());
  const from = addDays(to, 1 - options.days);
  // Before any work: a wrong --out is said at once.
  if (options.out !== undefined) refuseToClobber(options.out);
  const compliance = openComplianceDb(config.COMPLIANCE_DB_PATH);
  let aggregated: ReturnType<typeof aggregateReportWithSource>;
  try {
    aggregated = aggregateReportWithSource(ctx.stateDb(), compliance, from, to);
  } finally {
    compliance.close();
  }
  const { data } = aggregated;
  const notes = completionSourceNote(config.COMPLIANCE_QUERY_PATH, aggregated.fromTable);
  const { renderReportPng } = await import('../src/report/render.js');
  const rendered = await renderReportPng(data);
  let path = options.out;
  if (path === undefined) {
    const dir = join(config.OUTBOX_DIR, 'reports');
    ensurePrivateDir(dir);
    path = join(dir, `report-${from}_${to}.png`);
  }
  try {
    writeFileAtomically(path, rendered.png, 0o600);
  } catch (error) {
    throw cannotWrite('the report', path, error, 'Choose another --out, or check that its folder is writable.');
  }
  for (const warning of rendered.warnings) ctx.logger.warn({ warning }, 'report: renderer warning');
  return {
    from,
    to,
    path,
    png: rendered.png,
    width: rendered.width,
    height: rendered.height,
    altText: rendered.altText,
    days: data.days,
    warnings: rendered.warnings,
    notes,
  };
}

export const report = defineCommand({
  name: 'report',
  summary: 'Draw the last weeks (messages by outcome, survey completion) as a PNG; counts only.',
  usage: 'report [--weeks N] [--out FILE.png] [--json]',
  slash: '/mail-report',
  flags: {
    weeks: { type: 'string', description: `weeks to show, ending yesterday (default 2, at most ${MAX_REPORT_WEEKS})` },
    out: { type: 'string', description: 'where to write the PNG (default OUTBOX_DIR/reports/report-FROM_TO.png)' },
    json: jsonFlag,
  },
  /** `/mail-report 4` reads as four weeks: Slack users type the number alone. */
  parse(flags, positionals): ReportOptions {
    noPositionals(positionals, flags.weeks === undefined ? 1 : 0);
    return {
      days: parseWeeks(flags.weeks ?? positionals[0]),
      ...(typeof flags.out === 'string' ? { out: flags.out } : {}),
    };
  },
  run: buildReport,
  exitCode: () => ExitCode.ok,
  text: (r) =>
    [r.altText, ...r.notes.map((n) => `Note: ${n}`), `Wrote ${r.path} (${r.width}x${r.height} px).`].join('\n'),
  json: (r) => ({
    from: r.from,
    to: r.to,
    path: r.path,
    width: r.width,
    height: r.height,
    alt_text: r.altText,
    days: r.days,
    warnings: r.warnings,
    notes: r.notes,
  }),
});
