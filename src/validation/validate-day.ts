/**
 * Validation of one report date: roster rules + compliance cross-checks + template checks.
 * Returns data (findings and a classification of every roster row); throws only when the job
 * cannot run at all (missing files, broken query), as UsageError.
 */

import type { DayResult } from '../compliance/day-query.js';
import { queryTheDayAside } from '../compliance/day-query-aside.js';
import { checkDayQuery, type DayData, type DayQuery, loadQuery } from '../compliance/db.js';
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { checkTemplates, loadTemplates, renderTemplates, type Templates } from '../mail/templates.js';
import { derivedFieldsFor } from '../mail/view-model.js';
import {
  estimatedRows,
  openRosterFile,
  parseOpenRoster,
  parseRoster,
  type Roster,
  readRosterBytes,
} from '../roster/read.js';
import type { RowStore } from '../roster/row-store.js';
import { longDate } from '../util/dates.js';
import { DayPass, type DayPassOptions } from './day-pass.js';
import { suggestCorrections } from './near-match.js';
import { Participants } from './participants.js';

export type { Classification } from './participants.js';

export interface DayValidation {
  reportDate: string;
  roster: Roster;
  /** The query's columns and how many DIDs have data on the day (the DIDs themselves are not kept). */
  day: { columns: string[]; didCount: number };
  templates: Templates;
  query: DayQuery;
  findings: Finding[];
  /** One entry per roster row, in roster order. */
  participants: Participants;
  /** A run-level error blocks every message. */
  runBlocked: boolean;
  /** Fields a template may use. */
  availableFields: Set<string>;
}

/** Names every template can use besides the query's columns and the roster's. */
export const BUILT_IN_FIELDS = ['report_date', 'report_date_long'] as const;

const MAX_NEAR_MATCH_CANDIDATES = 5_000;

export interface ValidateOptions extends DayPassOptions {
  /**
   * Keep the roster file open and read its rows again from it (a dry run, which closes it with
   * `roster.rows.close()`), instead of holding the file's bytes: memory that does not grow with
   * the study, for a file that must not be edited in place meanwhile.
   */
  rowsFromFile?: boolean;
}

export async function validateDay(
  config: Config,
  reportDate: string,
  options: ValidateOptions = {},
): Promise<DayValidation> {
  const path = config.PARTICIPANTS_CSV_PATH;
  const opened = options.rowsFromFile ? openRosterFile(path) : { bytes: readRosterBytes(path), file: undefined };
  let query: DayQuery;
  let templates: Templates;
  let dayResult: Promise<DayResult>;
  try {
    query = loadQuery(config.COMPLIANCE_QUERY_PATH);
    templates = loadTemplates(config.TEMPLATE_DIR);
    // A wrong setting is said before anything is read or recorded; the day itself is read
    // beside the roster (day-query-aside.ts), and its errors wait for the roster's pass.
    checkDayQuery(config.COMPLIANCE_DB_PATH, query);
    dayResult = queryTheDayAside({ dbPath: config.COMPLIANCE_DB_PATH, query, reportDate }, opened.bytes.length);
    dayResult.catch(() => undefined); // awaited below: not "unhandled" while the roster is read
  } catch (error) {
    opened.file?.close();
    throw error;
  }

  // One pass over the roster as it is read: its own rules and the suppressions, then (the join)
  // each row against the day's data. Nothing per row is kept but a few bytes.
  const pass = new DayPass(options, estimatedRows(opened.bytes));
  const roster =
    opened.file === undefined
      ? parseRoster(opened.bytes, pass.visit, undefined, pass.visitPlain)
      : parseOpenRoster(opened, pass.visit, pass.visitPlain);
  try {
    const { day, newest, implausible } = await dayResult;
    // Only a validation that could read the day records anyone as seen (as before the worker).
    pass.reportActive();
    const joined = pass.join(day, implausible, (i) => roster.rows.lineAt(i), reportDate);
    // An unreadable roster has no rows, and the pass saw none (parseRoster hands csv-parse's rows
    // on only once it has read them all).
    const findings: Finding[] = [...roster.findings, ...pass.checker.finish(roster.rows)];
    if (day.dids.size === 0) {
      findings.push({
        severity: 'error',
        scope: 'run',
        code: 'compliance_not_updated',
        message: `The compliance database has no rows for ${reportDate}${newest ? `; the newest day in it is ${newest}` : ''}.`,
        fix: 'Check that the compliance pipeline ran for that day (or pass --date for a day it covers). For the local fixture, run `npx mail-updater create-fixture` again.',
      });
    }

    // A roster that cannot be read stops here: checking templates against its (missing) columns or
    // the database against its (missing) rows would only bury the one real error under hundreds.
    const rosterUnreadable = roster.findings.some((f) => f.severity === 'error' && f.scope === 'run');
    const availableFields = new Set<string>([
      ...day.columns,
      ...roster.columns.filter((c) => c !== ''),
      ...BUILT_IN_FIELDS,
      // Display strings computed per participant from the query's columns (src/mail/view-model.ts).
      ...derivedFieldsFor(day.columns),
    ]);
    const templateProblems = rosterUnreadable ? [] : checkTemplates(templates, availableFields);
    for (const problem of templateProblems) {
      findings.push({
        severity: 'error',
        scope: 'run',
        code: problem.code ?? 'template_field_unknown',
        column: problem.part,
        message: problem.message,
        fix:
          problem.code === undefined
            ? 'Use a field the query or roster provides (see `validate-participants --json` → fields), or add it to the query (COMPLIANCE_QUERY_PATH).'
            : 'Correct the tag at the named line and column in TEMPLATE_DIR.',
      });
    }
    if (!rosterUnreadable) {
      // A syntax error is already named precisely; the render check would only repeat it, garbled.
      if (!templateProblems.some((p) => p.code !== undefined))
        findings.push(...renderCheck(templates, availableFields, reportDate));
      findings.push(
        ...joined.withoutData,
        ...unknownDids(day, joined.unknown, joined.orphans),
        ...joined.impossible,
        ...pass.suppressions,
      );
    }

    const runBlocked = findings.some((f) => f.severity === 'error' && f.scope === 'run');
    const { rows } = roster;
    const participants = new Participants(rows, pass.standingsByRow, blockedRows(rows, findings), pass.firstOfDidByRow);
    return {
      reportDate,
      roster,
      day: { columns: day.columns, didCount: day.dids.size },
      templates,
      query,
      findings,
      participants,
      runBlocked,
      availableFields,
    };
  } catch (error) {
    roster.rows.close(); // the dry run that would have closed it never gets the rows
    throw error;
  }
}

/** Every template is rendered once with placeholder values, so a broken one fails here, not mid-run. */
function renderCheck(templates: Templates, fields: Set<string>, reportDate: string): Finding[] {
  const view = Object.fromEntries([...fields].map((f) => [f, `sample ${f}`]));
  try {
    renderTemplates(templates, { ...view, report_date: reportDate, report_date_long: longDate(reportDate) });
    return [];
  } catch (error) {
    return [
      {
        severity: 'error',
        scope: 'run',
        code: 'template_render_failed',
        message: `The templates do not render: ${(error as Error).message}`,
        fix: 'Fix the template syntax in TEMPLATE_DIR.',
      },
    ];
  }
}

/** The day's DIDs that are not in the roster, with a correction when one is clear (near-match.ts). */
function unknownDids(day: DayData, unknown: readonly string[], orphans: readonly string[]): Finding[] {
  const suggestions =
    orphans.length > MAX_NEAR_MATCH_CANDIDATES
      ? new Map<string, string>()
      : suggestCorrections({ unknownDids: unknown, rosterDids: orphans, didsWithData: day.dids });
  return unknown.map((did) => {
    const named = suggestions.get(did);
    return {
      severity: 'warning',
      scope: 'row',
      code: 'did_not_in_roster',
      did,
      message: `The compliance database has data for ${did}, who is not in the roster.${named ? ` Did you mean ${named}? (no data today under that roster DID)` : ''}`,
      fix: named
        ? `If ${named} in the roster is a typo, correct it to ${did}.`
        : 'Add the participant to the roster if they are enrolled.',
    };
  });
}

/** Rows with an error finding of their own are blocked: their error codes by row index. */
function blockedRows(rows: RowStore, findings: readonly Finding[]): Map<number, string[]> {
  const codesByLine = new Map<number, string[]>();
  for (const f of findings) {
    if (f.severity !== 'error' || f.scope !== 'row' || f.row === undefined) continue;
    const codes = codesByLine.get(f.row) ?? [];
    codes.push(f.code);
    codesByLine.set(f.row, codes);
  }
  const blocked = new Map<number, string[]>();
  if (codesByLine.size === 0) return blocked;
  for (let i = 0; i < rows.length; i++) {
    const codes = codesByLine.get(rows.lineAt(i));
    if (codes !== undefined) blocked.set(i, codes);
  }
  return blocked;
}
